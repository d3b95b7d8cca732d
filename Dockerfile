# syntax=docker/dockerfile:1
# The NEXUS operator image: TypeScript compiled in a full Node.js 24 LTS image, run on
# distroless Node.js 24 as the non-root user 65532 with production dependencies only.
#   docker build -t nexus-operator:0.1.0 .
# The base images are build arguments: `make image` builds this same file with buildah on
# stand-in bases made from Debian packages and the Node.js pinned in hack/node.env
# (hack/image/build.sh); the run image must hold node at /nodejs/bin/node, as distroless does.
ARG BUILD_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
# Only for registries behind a TLS proxy: a CA bundle mounted into this stage by the builder
# (never copied into the image), e.g. `buildah build -v /etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro
# --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt`.
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY operator ./operator
# Production dependencies only, and of those only what node loads: type declarations,
# source maps, TypeScript and C sources, docs, test data (CEL's conformance suite) and the
# add-ons built for the Bare runtime (*.bare) and the browser bundles of protobufjs and
# node-forge (node loads their lib/ and src/) go; licences and package.json files stay.
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
      -o -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.tsbuildinfo' \
      -o -iname '*.md' -o -iname '*.markdown' -o -name '.npmignore' -o -name '.eslintrc*' -o -name '.prettierrc*' \
      -o -name 'tsconfig*.json' -o -name '*.c' -o -name '*.h' -o -name '*.gyp' -o -name 'CMakeLists.txt' \
      -o -name '*.bare' \) -delete \
 && find node_modules -depth -type d \( -name test -o -name tests -o -name __tests__ -o -name .github \
      -o -name testdata -o -name docs -o -name example -o -name examples \) -exec rm -rf {} + \
 && rm -rf node_modules/protobufjs/dist node_modules/node-forge/dist \
 && find dist -name '*.map' -delete \
 && rm -f node_modules/.package-lock.json

FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which the compiled ES modules need.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
# 9000: the credential gate's Check service (nexus-authz), run from this same image with
# command ["/nodejs/bin/node", "dist/authz/main.js"] in place of the entry point.
EXPOSE 8080 8081 9000
# distroless has no shell and no node on PATH: this is `node dist/main.js`.
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
