// The Helm chart, checked with the real helm CLI (pinned, built from its Go module) and the
// real apiserver: lint, render, a server-side dry-run apply of everything it renders, the
// values schema, CRDs identical to crds/, RBAC without wildcards and covering every
// informer of the operator, and the pod's security context.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { KubeConfig, type KubernetesObject, type V1ClusterRole, type V1Deployment, type V1PolicyRule, type V1Role } from "@kubernetes/client-node";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCaches } from "../../operator/caches.js";
import { parseSettings } from "../../operator/options.js";
import { createLogger } from "../../operator/runtime/logger.js";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { repoRoot } from "../controlplane/binaries.js";
import { rawRequest } from "../controlplane/raw-request.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import {
  chartDir,
  findObject,
  helm,
  helmBinary,
  HELM_BUILD_TIMEOUT_MS,
  KUBE_VERSION,
  pinnedVersions,
  renderChart,
  templateArgs,
  valuesFile,
} from "../support/helm.js";

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

/** Every value the chart can take, switched on, for lint and the dry run. */
const everythingOn = {
  image: { repository: "registry.example.com/nexus/nexus-operator", tag: "0.1.0-test", pullPolicy: "Always" },
  imagePullSecrets: [{ name: "registry-credentials" }],
  replicas: 3,
  leaderElection: { enabled: true, namespace: "" },
  operator: {
    trustDomain: "prod.example.org",
    defaultIssuer: { name: "team-ca", kind: "Issuer", group: "cert-manager.io" },
    concurrency: 16,
    logLevel: "debug",
    tenantLabel: "capsule.clastix.io/tenant",
    certificates: { allowedClusterIssuers: ["corp-root", "awspca.cert-manager.io/pca"], allowedDnsSuffixes: ["{namespace}.apps.example.com"], clusterDomain: "corp.local", maxDurationHours: 72 },
  },
  admission: { enabled: true, validationActions: ["Deny", "Audit"] },
  metrics: { port: 9090, service: { port: 8443 } },
  healthProbe: { port: 9091 },
  serviceAccount: { create: true, name: "nexus-controller", annotations: { "example.com/owner": "platform" } },
  podAnnotations: { "example.com/scrape": "true" },
  podLabels: { team: "platform" },
  nodeSelector: { "kubernetes.io/os": "linux" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "platform", effect: "NoSchedule" }],
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "nexus-operator" } } } },
      ],
    },
  },
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": "nexus-operator" } } },
  ],
  podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
  serviceMonitor: { enabled: false },
  crds: { enabled: true, keep: true },
};

interface ApiResourceInfo {
  path: string;
  namespaced: boolean;
}

/** Server-side apply with ?dryRun=All: validated, admitted and authorized, never stored. */
async function dryRunApply(kc: KubeConfig, objects: KubernetesObject[]): Promise<Array<{ object: string; status: number; message: string }>> {
  const discovery = new Map<string, Promise<Map<string, ApiResourceInfo>>>();
  const resourcesOf = (apiVersion: string) => {
    if (!discovery.has(apiVersion)) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      discovery.set(
        apiVersion,
        rawRequest(kc, "GET", base).then((response) => {
          if (response.status !== 200) throw new Error(`discovery of ${apiVersion}: HTTP ${response.status}`);
          const list = JSON.parse(response.body) as { resources: Array<{ name: string; kind: string; namespaced: boolean }> };
          return new Map(list.resources.filter((r) => !r.name.includes("/")).map((r) => [r.kind, { path: `${base}/${r.name}`, namespaced: r.namespaced }]));
        }),
      );
    }
    return discovery.get(apiVersion)!;
  };
  const results = [];
  for (const object of objects) {
    const info = (await resourcesOf(object.apiVersion!)).get(object.kind!);
    if (!info) throw new Error(`${object.apiVersion} serves no kind ${object.kind}`);
    const { name, namespace } = object.metadata!;
    const collection = info.namespaced ? info.path.replace(/\/([^/]+)$/, `/namespaces/${namespace}/$1`) : info.path;
    const response = await rawRequest(kc, "PATCH", `${collection}/${name}?dryRun=All&fieldManager=nexus-chart-test&force=true`, {
      contentType: "application/apply-patch+yaml",
      data: JSON.stringify(object),
    });
    const message = response.status < 300 ? "" : ((JSON.parse(response.body || "{}") as { message?: string }).message ?? response.body);
    results.push({ object: `${object.kind}/${name}`, status: response.status, message });
  }
  return results;
}

function wildcardsIn(rules: V1PolicyRule[]): string[] {
  return rules.flatMap((rule, i) =>
    (["verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs"] as const).flatMap((field) =>
      ((rule[field] ?? []) as string[]).filter((v) => v.includes("*")).map((v) => `rules[${i}].${field}: ${v}`),
    ),
  );
}

/** The verbs the rules grant on group/resource (subresource included in resource). */
function grantedVerbs(rules: V1PolicyRule[], group: string, resource: string): Set<string> {
  const verbs = new Set<string>();
  for (const rule of rules) {
    if ((rule.apiGroups ?? []).includes(group) && (rule.resources ?? []).includes(resource) && !rule.resourceNames?.length) {
      for (const verb of rule.verbs) verbs.add(verb);
    }
  }
  return verbs;
}

describe("Helm chart charts/nexus-operator", () => {
  let client: KubeClient;
  let kubeConfig: KubeConfig;
  let defaults: KubernetesObject[];
  const releaseNamespace = uniqueName("chart");

  beforeAll(async () => {
    await helmBinary();
    const kubeconfigPath = inject("kubeconfig");
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    client = adminClient(kubeconfigPath);
    await createNamespace(client, releaseNamespace);
    defaults = await renderChart({ namespace: releaseNamespace });
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (client) await deleteNamespace(client, releaseNamespace);
    client?.close();
  });

  it("uses helm at the version pinned in hack/versions.env", async () => {
    const result = await helm(["version", "--template", "{{.Version}}"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pinnedVersions().HELM_VERSION);
  });

  it("has appVersion and version of the operator release (package.json)", async () => {
    const chart = yaml.load(await readFile(path.join(chartDir, "Chart.yaml"), "utf8")) as { appVersion: string; version: string };
    const pkg = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    expect(chart.version).toBe(pkg.version);
    const deployment = findObject<V1Deployment>(defaults, "Deployment");
    expect(deployment.spec!.template.spec!.containers[0]!.image).toBe(`nexus-operator:${pkg.version}`);
  });

  it("passes helm lint --strict with the defaults and with every option on", async () => {
    for (const values of [undefined, everythingOn, { ...everythingOn, serviceMonitor: { enabled: true, labels: { release: "prom" } }, crds: { enabled: false, keep: false } }]) {
      const args = ["lint", chartDir, "--strict", "--kube-version", KUBE_VERSION, "--namespace", releaseNamespace];
      if (values) args.push("--values", await valuesFile(values));
      const result = await helm(args);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain("0 chart(s) failed");
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it("renders the operator's objects with the defaults", () => {
    const kinds = defaults.map((o) => `${o.kind}/${o.metadata!.name}`).sort();
    expect(kinds).toEqual(
      [
        "ClusterRole/nexus-operator",
        "ClusterRole/nexus-operator-metrics-reader",
        "ClusterRoleBinding/nexus-operator",
        "CustomResourceDefinition/accesspolicies.security.nexus.io",
        "CustomResourceDefinition/engineidentities.security.nexus.io",
        "Deployment/nexus-operator",
        "PodDisruptionBudget/nexus-operator",
        "Role/nexus-operator-leader-election",
        "RoleBinding/nexus-operator-leader-election",
        "Service/nexus-operator-metrics",
        "ServiceAccount/nexus-operator",
        "ValidatingAdmissionPolicy/nexus-operator-engineidentity",
        "ValidatingAdmissionPolicyBinding/nexus-operator-engineidentity",
      ].sort(),
    );
    for (const object of defaults) {
      if (!["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"].includes(object.kind!)) {
        expect(object.metadata!.namespace, `${object.kind} namespace`).toBe(releaseNamespace);
      }
    }
    const deployment = findObject<V1Deployment>(defaults, "Deployment");
    expect(deployment.spec!.replicas).toBe(2);
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.args).toEqual(["--leader-elect=true", `--leader-election-namespace=${releaseNamespace}`, "--leader-election-id=nexus-operator"]);
    const env = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      NEXUS_TRUST_DOMAIN: "cluster.local",
      NEXUS_DEFAULT_ISSUER: "nexus-ca",
      NEXUS_DEFAULT_ISSUER_KIND: "ClusterIssuer",
      NEXUS_DEFAULT_ISSUER_GROUP: "cert-manager.io",
      NEXUS_TENANT_LABEL: "security.nexus.io/tenant",
      NEXUS_ALLOWED_CLUSTER_ISSUERS: "",
      NEXUS_ALLOWED_DNS_SUFFIXES: "",
      NEXUS_CLUSTER_DOMAIN: "cluster.local",
      NEXUS_MAX_CERTIFICATE_DURATION: "168h",
      NEXUS_CONCURRENCY: "8",
      NEXUS_LOG_LEVEL: "info",
      NEXUS_EVENT_QPS: "10",
      NEXUS_EVENT_BURST: "50",
      NEXUS_METRICS_BIND_ADDRESS: ":8080",
      NEXUS_METRICS_AUTH: "kubernetes",
      NEXUS_HEALTH_PROBE_BIND_ADDRESS: ":8081",
      NODE_OPTIONS: "--max-old-space-size=256 --max-semi-space-size=8",
      GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=32768",
    });
    // The chart's defaults are the operator's own.
    expect(parseSettings([], env)).toEqual(parseSettings([], {}));
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "probes" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "probes" });
    expect(container.ports).toEqual([
      { name: "metrics", containerPort: 8080, protocol: "TCP" },
      { name: "probes", containerPort: 8081, protocol: "TCP" },
    ]);
    expect(container.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } });
  });

  it("passes operator settings, ports and scheduling from values", async () => {
    const objects = await renderChart({ namespace: releaseNamespace, values: { ...everythingOn, serviceMonitor: { enabled: true, interval: "15s", labels: { release: "prom" } } } });
    const deployment = findObject<V1Deployment>(objects, "Deployment");
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({
      NEXUS_TRUST_DOMAIN: "prod.example.org",
      NEXUS_DEFAULT_ISSUER: "team-ca",
      NEXUS_DEFAULT_ISSUER_KIND: "Issuer",
      NEXUS_TENANT_LABEL: "capsule.clastix.io/tenant",
      NEXUS_ALLOWED_CLUSTER_ISSUERS: "corp-root,awspca.cert-manager.io/pca",
      NEXUS_ALLOWED_DNS_SUFFIXES: "{namespace}.apps.example.com",
      NEXUS_CLUSTER_DOMAIN: "corp.local",
      NEXUS_MAX_CERTIFICATE_DURATION: "72h",
      NEXUS_CONCURRENCY: "16",
      NEXUS_LOG_LEVEL: "debug",
      NEXUS_METRICS_BIND_ADDRESS: ":9090",
      NEXUS_HEALTH_PROBE_BIND_ADDRESS: ":9091",
      POD_NAME: "metadata.name",
      POD_NAMESPACE: "metadata.namespace",
    });
    expect(container.image).toBe("registry.example.com/nexus/nexus-operator:0.1.0-test");
    expect(container.imagePullPolicy).toBe("Always");
    expect(deployment.spec!.replicas).toBe(3);
    expect(pod.serviceAccountName).toBe("nexus-controller");
    expect(pod.nodeSelector).toEqual(everythingOn.nodeSelector);
    expect(pod.tolerations).toEqual(everythingOn.tolerations);
    expect(pod.affinity).toEqual(everythingOn.affinity);
    expect(pod.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    const monitor = findObject(objects, "ServiceMonitor") as KubernetesObject & { spec: { endpoints: Array<{ port: string; interval: string }> } };
    expect(monitor.metadata!.labels).toMatchObject({ release: "prom" });
    expect(monitor.spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "15s", scrapeTimeout: "10s", bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }]);
    const service = findObject(objects, "Service") as KubernetesObject & { spec: { ports: unknown[] } };
    expect(service.spec.ports).toEqual([{ name: "metrics", port: 8443, targetPort: "metrics", protocol: "TCP" }]);
    for (const binding of [findObject(objects, "ClusterRoleBinding"), findObject(objects, "RoleBinding")] as Array<KubernetesObject & { subjects: unknown[] }>) {
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "nexus-controller", namespace: releaseNamespace }]);
    }
    const digest = `sha256:${"a".repeat(64)}`;
    const pinned = await renderChart({ values: { image: { repository: "r/nexus", tag: "ignored", digest, pullPolicy: "IfNotPresent" } } });
    expect(findObject<V1Deployment>(pinned, "Deployment").spec!.template.spec!.containers[0]!.image).toBe(`r/nexus@${digest}`);
  });

  it("is accepted by the apiserver: server-side dry-run apply of every rendered object", async () => {
    const objects = await renderChart({ namespace: releaseNamespace, values: everythingOn });
    expect(objects.length).toBeGreaterThanOrEqual(10);
    const results = await dryRunApply(kubeConfig, objects);
    expect(results.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
    // A dry run stores nothing.
    const deployment = await rawRequest(kubeConfig, "GET", `/apis/apps/v1/namespaces/${releaseNamespace}/deployments/nexus-operator`);
    expect(deployment.status).toBe(404);
  });

  it("installs, upgrades and uninstalls with helm (CRDs left to the test setup, which owns them here)", async () => {
    const release = uniqueName("nexus-operator");
    const namespace = uniqueName("chart-install");
    const common = ["--namespace", namespace, "--kubeconfig", inject("kubeconfig")];
    // No deployment controller runs in the test control plane, so no pod would start anyway.
    const install = await helm(["install", release, chartDir, ...common, "--create-namespace", "--set", "crds.enabled=false", "--set", "replicas=0",
      // The admission policy is cluster-wide: kept to this release's namespace, away from other suites' objects.
      "--set-json", `admission.namespaceSelector={"matchLabels":{"kubernetes.io/metadata.name":"${namespace}"}}`]);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(`NEXUS operator 0.1.0 is installed as release ${release} in namespace ${namespace}`);
    try {
      const role = await rawRequest(kubeConfig, "GET", `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}`);
      expect(role.status).toBe(200);
      const upgrade = await helm(["upgrade", release, chartDir, ...common, "--reuse-values", "--set", "operator.logLevel=debug"]);
      expect(upgrade.code, upgrade.stderr).toBe(0);
      const deployment = await rawRequest(kubeConfig, "GET", `/apis/apps/v1/namespaces/${namespace}/deployments/${release}`);
      const env = (JSON.parse(deployment.body) as V1Deployment).spec!.template.spec!.containers[0]!.env ?? [];
      expect(env.find((e) => e.name === "NEXUS_LOG_LEVEL")?.value).toBe("debug");
    } finally {
      const uninstall = await helm(["uninstall", release, ...common]);
      expect(uninstall.code, uninstall.stderr).toBe(0);
      await deleteNamespace(client, namespace);
    }
    expect((await rawRequest(kubeConfig, "GET", `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}`)).status).toBe(404);
  });

  it("rejects unknown and invalid values through values.schema.json, naming the key", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ replicaCount: 3 }, /additional properties 'replicaCount' not allowed/],
      [{ image: { repository: "x", pullPolicy: "Always", tga: "1" } }, /\/image.*additional properties 'tga' not allowed/],
      [{ operator: { trustDomain: "cluster.local", defaultIssuer: { name: "a", kind: "Issuer", group: "cert-manager.io", namespace: "x" }, concurrency: 8, logLevel: "info" } }, /\/operator\/defaultIssuer.*additional properties 'namespace' not allowed/],
      [{ crds: { enabled: true, keep: true, install: true } }, /\/crds.*additional properties 'install' not allowed/],
      [{ operator: { trustDomain: "Cluster.Local", defaultIssuer: { name: "a", kind: "Issuer", group: "g" }, concurrency: 8, logLevel: "info" } }, /\/operator\/trustDomain/],
      [{ operator: { trustDomain: "a", defaultIssuer: { name: "a", kind: "Issuer", group: "g" }, concurrency: 0, logLevel: "info" } }, /\/operator\/concurrency/],
      [{ operator: { trustDomain: "a", defaultIssuer: { name: "a", kind: "Certificate", group: "g" }, concurrency: 8, logLevel: "info" } }, /\/operator\/defaultIssuer\/kind/],
      [{ leaderElection: { enabled: "yes" } }, /\/leaderElection\/enabled/],
      [{ glibcTunables: "glibc.malloc.mmap_threshold=32k; rm -rf /" }, /\/glibcTunables/],
      [{ operator: { maxSemiSpaceMiB: 0 } }, /\/operator\/maxSemiSpaceMiB/],
      [{ authz: { maxSemiSpaceMiB: "4m" } }, /\/authz\/maxSemiSpaceMiB/],
      // The value lands in NODE_OPTIONS: nothing but a number may reach node's command line.
      [{ authz: { maxSemiSpaceMiB: "4 --inspect=0.0.0.0:9229" } }, /\/authz\/maxSemiSpaceMiB/],
      [{ authz: { maxSemiSpaceMiB: 0 } }, /\/authz\/maxSemiSpaceMiB/],
    ];
    for (const [values, message] of cases) {
      const result = await helm(await templateArgs({ values }));
      expect(result.code, JSON.stringify(values)).not.toBe(0);
      expect(result.stderr).toMatch(message);
    }
  });

  it("leaves glibc's allocator defaults to an empty glibcTunables, in both containers", async () => {
    const objects = await renderChart({ namespace: releaseNamespace, values: { glibcTunables: "", authz: { enabled: true } } });
    for (const name of ["nexus-operator", "nexus-operator-authz"]) {
      const container = findObject<V1Deployment>(objects, "Deployment", name).spec!.template.spec!.containers[0]!;
      expect((container.env ?? []).map((e) => e.name), name).not.toContain("GLIBC_TUNABLES");
    }
  });

  it("sets additionalProperties on every object of values.schema.json", async () => {
    const schema = JSON.parse(await readFile(path.join(chartDir, "values.schema.json"), "utf8")) as Record<string, unknown>;
    const open: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      // Every object with named keys rejects others; maps say what their values are.
      if (n.properties !== undefined && n.additionalProperties !== false) open.push(at);
      if (n.type === "object" && n.properties === undefined && n.additionalProperties === undefined && !/kubernetes api shape|subcharts/i.test(String(n.description))) open.push(at);
      for (const [key, child] of Object.entries(n)) {
        if (key === "properties") for (const [name, sub] of Object.entries(child as object)) walk(sub, `${at}/${name}`);
        else if (typeof child === "object") walk(child, `${at}/${key}`);
      }
    };
    walk(schema, "");
    expect(open).toEqual([]);
    // Every default in values.yaml is described by the schema (else helm would reject it).
    const values = yaml.load(await readFile(path.join(chartDir, "values.yaml"), "utf8")) as Record<string, unknown>;
    expect(Object.keys(values).sort()).toEqual(Object.keys(schema.properties as object).filter((k) => k !== "global").sort());
  });

  it("carries CRDs byte-identical to crds/ and renders them with keep", async () => {
    const source = (await readdir(path.join(repoRoot, "crds"))).filter((f) => f.endsWith(".yaml")).sort();
    const copies = (await readdir(path.join(chartDir, "crds-source"))).sort();
    expect(copies).toEqual(source);
    for (const file of source) {
      const original = await readFile(path.join(repoRoot, "crds", file));
      const copy = await readFile(path.join(chartDir, "crds-source", file));
      expect(copy.equals(original), `charts/nexus-operator/crds-source/${file} differs from crds/${file}; copy it again`).toBe(true);
    }
    const rendered = defaults.filter((o) => o.kind === "CustomResourceDefinition");
    expect(rendered).toHaveLength(source.length);
    for (const file of source) {
      const original = yaml.load(await readFile(path.join(repoRoot, "crds", file), "utf8")) as KubernetesObject;
      const crd = rendered.find((o) => o.metadata!.name === original.metadata!.name);
      expect(crd, `${original.metadata!.name} rendered`).toBeDefined();
      expect(crd!.metadata!.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
      // Only the chart's labels and the keep annotation are added; everything else is crds/.
      expect(crd!.metadata!.labels).toMatchObject({ ...original.metadata!.labels, "app.kubernetes.io/managed-by": "Helm" });
      const { annotations: _a, labels: _l, ...renderedMetadata } = crd!.metadata!;
      const { annotations: _oa, labels: _ol, ...originalMetadata } = original.metadata!;
      expect({ ...crd, metadata: renderedMetadata }).toEqual({ ...original, metadata: originalMetadata });
    }
    const notKept = await renderChart({ values: { crds: { enabled: true, keep: false } } });
    for (const crd of notKept.filter((o) => o.kind === "CustomResourceDefinition")) expect(crd.metadata!.annotations ?? {}).toEqual({});
    const none = await renderChart({ values: { crds: { enabled: false, keep: true } } });
    expect(none.filter((o) => o.kind === "CustomResourceDefinition")).toEqual([]);
    expect(none.some((o) => o.kind === "Deployment")).toBe(true);
  });

  it("grants RBAC without wildcards, leases only in the release namespace", () => {
    const clusterRole = findObject<V1ClusterRole>(defaults, "ClusterRole");
    const role = findObject<V1Role>(defaults, "Role");
    expect(wildcardsIn(clusterRole.rules ?? [])).toEqual([]);
    expect(wildcardsIn(role.rules ?? [])).toEqual([]);
    expect(clusterRole.aggregationRule).toBeUndefined();
    // Leases: never cluster-wide, and only what leader election does with its one Lease.
    expect((clusterRole.rules ?? []).some((r) => (r.apiGroups ?? []).includes("coordination.k8s.io"))).toBe(false);
    expect(role.metadata!.namespace).toBe(releaseNamespace);
    expect(role.rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["nexus-operator"], verbs: ["get", "update"] },
    ]);
    // No Secrets, and nothing the operator does not use.
    expect(grantedVerbs(clusterRole.rules ?? [], "", "secrets").size).toBe(0);
    for (const rule of clusterRole.rules ?? []) {
      for (const verb of rule.verbs) expect(["get", "list", "watch", "create", "patch", "delete", "update"], `verb ${verb}`).toContain(verb);
      // `get` only where list and watch already show the same objects whole.
      if (rule.verbs.includes("get")) expect(rule.verbs, `get on ${(rule.resources ?? []).join(", ")}`).toEqual(expect.arrayContaining(["list", "watch"]));
    }
  });

  it("grants list and watch on every kind the operator's informers watch, and nothing beyond them", () => {
    const clusterRole = findObject<V1ClusterRole>(defaults, "ClusterRole");
    const rules = clusterRole.rules ?? [];
    const local = adminClient(inject("kubeconfig"));
    const caches = createCaches(local, createLogger("fatal"));
    local.close();
    const watched = Object.values(caches).map((informer) => `${groupOf(informer.type.apiVersion)}/${informer.type.plural}`);
    for (const key of watched) {
      const [group, plural] = key.split("/") as [string, string];
      const verbs = grantedVerbs(rules, group, plural);
      expect([...verbs].filter((v) => v === "list" || v === "watch").sort(), key).toEqual(["list", "watch"]);
    }
    // Every resource granted is a watched kind, one of its subresources, Events, or the two
    // reviews that authorize a /metrics scrape (--metrics-auth=kubernetes, the default).
    const metricsReviews = ["authentication.k8s.io/tokenreviews", "authorization.k8s.io/subjectaccessreviews"];
    for (const rule of rules) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const base = resource.split("/")[0]!;
          const ok = watched.includes(`${group}/${base}`) || (group === "" && resource === "events") || (metricsReviews.includes(`${group}/${resource}`) && rule.verbs.join() === "create");
          expect(ok, `${group}/${resource} is granted but the operator watches no such kind`).toBe(true);
        }
      }
    }
  });

  it("runs the operator as non-root 65532 with a read-only root and no privileges", async () => {
    for (const objects of [defaults, await renderChart({ values: everythingOn })]) {
      const pod = findObject<V1Deployment>(objects, "Deployment").spec!.template.spec!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.containers).toHaveLength(1);
      const container = pod.containers[0]!;
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.securityContext!.capabilities!.add).toBeUndefined();
    }
  });

  it("switches leader election and optional objects by values", async () => {
    const single = await renderChart({ namespace: releaseNamespace, values: { replicas: 1, leaderElection: { enabled: false }, podDisruptionBudget: { enabled: false } } });
    const container = findObject<V1Deployment>(single, "Deployment").spec!.template.spec!.containers[0]!;
    expect(container.args).toContain("--leader-elect=false");
    expect(single.some((o) => o.kind === "Role" || o.kind === "RoleBinding" || o.kind === "PodDisruptionBudget" || o.kind === "ServiceMonitor")).toBe(false);
    const elsewhere = await renderChart({ namespace: releaseNamespace, values: { leaderElection: { enabled: true, namespace: "kube-system" } } });
    expect(findObject(elsewhere, "Role").metadata!.namespace).toBe("kube-system");
    expect(findObject(elsewhere, "RoleBinding").metadata!.namespace).toBe("kube-system");
    expect(findObject<V1Deployment>(elsewhere, "Deployment").spec!.template.spec!.containers[0]!.args).toContain("--leader-election-namespace=kube-system");
    const noRbac = await renderChart({ values: { rbac: { create: false }, serviceAccount: { create: false, name: "existing" } } });
    expect(noRbac.map((o) => o.kind).filter((k) => /Role|ServiceAccount/.test(k!))).toEqual([]);
    expect(findObject<V1Deployment>(noRbac, "Deployment").spec!.template.spec!.serviceAccountName).toBe("existing");
    const missing = await helm(await templateArgs({ values: { serviceAccount: { create: false } } }));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("serviceAccount.name is required");
  });

  it("renders nexus-authz when enabled: 2 replicas, PDB, probes, gRPC and metrics Services, a read-only role on the two NEXUS kinds, Namespaces, Services and Gateways only", async () => {
    expect(defaults.some((o) => o.metadata?.name === "nexus-operator-authz")).toBe(false);
    const objects = await renderChart({ namespace: releaseNamespace, values: { authz: { enabled: true, rateLimit: { redis: { url: "redis://redis.nexus-system:6379" } } } } });
    const authz = objects.filter((o) => o.metadata?.name?.startsWith("nexus-operator-authz")).map((o) => `${o.kind}/${o.metadata!.name}`).sort();
    expect(authz).toEqual([
      "AuthorizationPolicy/nexus-operator-authz",
      "ClusterRole/nexus-operator-authz",
      "ClusterRoleBinding/nexus-operator-authz",
      "Deployment/nexus-operator-authz",
      "NetworkPolicy/nexus-operator-authz",
      "PeerAuthentication/nexus-operator-authz",
      "PodDisruptionBudget/nexus-operator-authz",
      "Service/nexus-operator-authz",
      "Service/nexus-operator-authz-metrics",
      "ServiceAccount/nexus-operator-authz",
    ]);
    const role = findObject<V1ClusterRole>(objects, "ClusterRole", "nexus-operator-authz");
    expect(role.rules).toEqual([
      { apiGroups: ["security.nexus.io"], resources: ["accesspolicies", "engineidentities"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["services"], verbs: ["list", "watch"] },
      { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], verbs: ["list", "watch"] },
    ]);
    const deployment = findObject<V1Deployment>(objects, "Deployment", "nexus-operator-authz");
    expect(deployment.spec!.replicas).toBe(2);
    const pod = deployment.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe("nexus-operator-authz");
    const container = pod.containers[0]!;
    expect(container.command).toEqual(["/nodejs/bin/node", "dist/authz/main.js"]);
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ NEXUS_AUTHZ_GRPC_BIND_ADDRESS: ":9000", NEXUS_AUTHZ_RATE_LIMIT_REDIS: "redis://redis.nexus-system:6379", NEXUS_AUTHZ_RATE_LIMIT_FAILURES: "10" });
    // The same allocator settings as the operator's container.
    expect(env.GLIBC_TUNABLES).toBe("glibc.malloc.mmap_threshold=32768");
    // A small young generation: short scavenge pauses under a steady stream of Checks.
    expect(env.NODE_OPTIONS).toBe("--max-semi-space-size=4");
    // Behind its own sidecar, which names the Check's sender; the gate checks the element is its sidecar's.
    expect(env).toMatchObject({ NEXUS_AUTHZ_CALLER_IDENTITY: "sidecar-xfcc", NEXUS_AUTHZ_GATE_SPIFFE_ID: `spiffe://cluster.local/ns/${releaseNamespace}/sa/nexus-operator-authz`, NEXUS_AUTHZ_MAX_PATH_LENGTH: "8192" });
    expect(deployment.spec!.template.metadata!.labels).toMatchObject({ "sidecar.istio.io/inject": "true" });
    // Around the gate: mTLS only, mesh identities only on the Check port, sidecar and waypoint pods only below the mesh.
    const peer = findObject<KubernetesObject & { spec: { mtls: { mode: string } } }>(objects, "PeerAuthentication", "nexus-operator-authz");
    expect(peer.spec.mtls.mode).toBe("STRICT");
    const meshPolicy = findObject<KubernetesObject & { spec: { action: string; rules: unknown[] } }>(objects, "AuthorizationPolicy", "nexus-operator-authz");
    expect(meshPolicy.spec.action).toBe("ALLOW");
    expect(meshPolicy.spec.rules[0]).toEqual({ from: [{ source: { principals: ["*"] } }], to: [{ operation: { ports: ["9000"] } }] });
    const network = findObject<KubernetesObject & { spec: { ingress: Array<{ from?: unknown[]; ports: Array<{ port: number }> }> } }>(objects, "NetworkPolicy", "nexus-operator-authz");
    const grpcRule = network.spec.ingress.find((rule) => rule.ports.some((p) => p.port === 9000))!;
    expect(grpcRule.ports).toEqual([{ protocol: "TCP", port: 9000 }]);
    // Sidecars, and ambient waypoints (Istio labels their pods with the Gateway's class; they have no sidecar).
    expect(grpcRule.from).toEqual([
      { namespaceSelector: {}, podSelector: { matchLabels: { "security.istio.io/tlsMode": "istio" } } },
      { namespaceSelector: {}, podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-class-name": "istio-waypoint" } } },
    ]);
    const without = await renderChart({ namespace: releaseNamespace, values: { authz: { enabled: true, meshPolicies: { enabled: false }, networkPolicy: { enabled: false } } } });
    expect(without.filter((o) => ["PeerAuthentication", "AuthorizationPolicy", "NetworkPolicy"].includes(o.kind ?? "") && o.metadata?.name === "nexus-operator-authz")).toEqual([]);
    const results = await dryRunApply(kubeConfig, objects.filter((o) => o.metadata?.name?.startsWith("nexus-operator-authz")));
    expect(results.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
    const unknown = await helm(await templateArgs({ values: { authz: { enabled: true, rateLimits: {} } } }));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/authz.*additional properties 'rateLimits' not allowed/);
  });
});
