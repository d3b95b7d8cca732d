import { writeFile } from "node:fs/promises";
import yaml from "js-yaml";

export type KubeconfigCredentials = { certPem: string; keyPem: string } | { token: string };

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/**
 * Writes a self-contained kubeconfig (everything inlined as *-data) so it keeps working
 * when copied into a child process's environment, and works for kubectl as well.
 */
export async function writeKubeconfig(
  file: string,
  options: { server: string; caPem: string; userName: string; credentials: KubeconfigCredentials },
): Promise<string> {
  const { server, caPem, userName, credentials } = options;
  const user =
    "token" in credentials
      ? { token: credentials.token }
      : { "client-certificate-data": b64(credentials.certPem), "client-key-data": b64(credentials.keyPem) };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "nexus-test", cluster: { server, "certificate-authority-data": b64(caPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name: "nexus-test", context: { cluster: "nexus-test", user: userName } }],
    "current-context": "nexus-test",
  };
  await writeFile(file, yaml.dump(config, { lineWidth: -1 }), { mode: 0o600 });
  return file;
}
