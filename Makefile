# The two commands a newcomer needs: `make demo` and `make test`. Both install what they
# need (npm packages, the local control plane binaries) on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Everything runs on the pinned Node.js (hack/node.env): npm ci, tsx, vitest, the demo and
# the benchmarks. Where the machine's node is another version, hack/ensure-node.sh installs
# the pinned one into the project's cache once (from the npm registry) and it goes first
# on PATH; npm itself is the machine's, run by that node.
NODE_HOME := $(shell bash hack/ensure-node.sh)
ifeq ($(NODE_HOME),)
$(error the pinned Node.js (hack/node.env) could not be installed: see the message above)
endif
export PATH := $(NODE_HOME)/bin:$(PATH)
# node-gyp builds native add-ons against this node's own headers, not the machine's.
export npm_config_nodedir := $(NODE_HOME)

# npm ci checks the lock against every optional platform package; a registry mirror that
# lacks some of them (rollup's non-Linux builds, for one) makes it refuse, so fall back to
# npm install of the locked versions without rewriting the lock. npm ci's refusal goes to a
# log and one line says what happens, so a first run does not open with a wall of errors.
node_modules/.installed: package.json package-lock.json hack/node.env
	@mkdir -p .cache && npm ci --no-audit --no-fund >.cache/npm-ci.log 2>&1 && echo "npm ci: installed the locked packages" || { echo "npm ci: this registry lacks some of the lock's optional packages (log: .cache/npm-ci.log); installing the locked versions with npm install"; npm install --no-audit --no-fund --no-save --loglevel=error; }
	@touch $@

.PHONY: help
help:
	@echo "make demo      start a local control plane, run the operator on examples/, show the result"
	@echo "make test      the whole test suite (unit + integration against a real apiserver)"
	@echo "make bench     the scale benchmark and the credential gate benchmark"
	@echo "make bench-authz  the credential gate benchmark alone"
	@echo "make generate  regenerate operator/api/generated.ts from crds/"
	@echo "make verify    generated types current + type check"
	@echo "make image     the operator image (OCI archive, digest and SBOM in .cache/image/)"
	@echo "make image-test  the image run as the chart runs it, and its SBOM checked"

.PHONY: control-plane
control-plane:
	@if [ -z "$$KUBEBUILDER_ASSETS" ]; then bash hack/build-control-plane.sh >/dev/null; fi

# cert-manager's controller for the certificate tests and the demo, built here rather than
# inside a test hook, so a cold build is never cut short by a test timeout.
.PHONY: cert-manager
cert-manager:
	@if [ -z "$$CERT_MANAGER_CONTROLLER" ]; then bash hack/build-cert-manager.sh >/dev/null; fi

# The Istio judge (hack/istio-judge): Istio's validation, translation and a real RBAC
# engine for the tests and the demo, built from istio.io/istio at ISTIO_JUDGE_VERSION.
.PHONY: istio-judge
istio-judge:
	@bash hack/build-istio-judge.sh >/dev/null
test demo: istio-judge

# istiod itself (pilot-discovery from the same istio.io/istio pin, hack/istiod), run by
# test/istio/istiod-ambient.test.ts against the test control plane; it shares the judge's
# Go build cache, so it is built after the judge.
.PHONY: istiod
istiod: istio-judge
	@bash hack/build-istiod.sh >/dev/null
test: istiod

# helm for the chart tests, built from its Go module at HELM_VERSION (hack/versions.env).
.PHONY: helm
helm:
	@bash hack/build-helm.sh >/dev/null

# kubectl for the tests that check what a person sees (short names, printer columns), built
# from its Go module at the control plane's version.
.PHONY: kubectl
kubectl:
	@bash hack/build-kubectl.sh >/dev/null

# lua5.4 for the test of the Argo CD health check (hack/argocd/), from Debian when missing.
.PHONY: lua
lua:
	@bash hack/ensure-debian-package.sh lua5.4 lua5.4

# redis-server for the credential gate's shared rate-limit tests and benchmark, from Debian when missing.
.PHONY: redis
redis:
	@bash hack/ensure-debian-package.sh redis-server redis-server

.PHONY: generate
generate: node_modules/.installed
	npx tsx hack/generate-types.ts

.PHONY: verify
verify: node_modules/.installed
	npx tsx hack/generate-types.ts --check
	npx tsc -p tsconfig.json --noEmit

.PHONY: test
test: node_modules/.installed control-plane cert-manager helm kubectl lua redis verify image-if-supported
	bash hack/run-tests.sh

.PHONY: demo
demo: node_modules/.installed control-plane cert-manager
	npx tsx hack/demo.ts

# scale.ts compiles dist/; the CLI and gate benchmarks then run it as it is.
.PHONY: bench
bench: node_modules/.installed control-plane
	npx tsx bench/scale.ts
	BENCH_SKIP_BUILD=1 npx tsx bench/cli-bench.ts
	BENCH_SKIP_BUILD=1 npx tsx bench/authz-bench.ts

# The credential gate alone: Check throughput and latency against a bare gRPC floor.
.PHONY: bench-authz
bench-authz: node_modules/.installed control-plane
	npx tsx bench/authz-bench.ts

.PHONY: build
build: node_modules/.installed
	npx tsc -p tsconfig.build.json

# The operator image: the Dockerfile built with buildah on stand-in bases from Debian
# packages and the pinned Node.js, written to .cache/image/ (OCI archive, digest, SBOM);
# rebuilt only when an input changes (hack/image/build.sh).
.PHONY: image
image: node_modules/.installed
	@bash hack/image/build.sh

# make test's image step: builds where podman and buildah can run here, else says why.
.PHONY: image-if-supported
image-if-supported: node_modules/.installed
	@bash hack/image/build-if-supported.sh

# The image run as the chart runs it against the local control plane, and its SBOM.
.PHONY: image-test
image-test: image control-plane
	npx vitest run --project integration test/image/
