import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface RawResponse {
  status: number;
  body: string;
}

/**
 * A request that sends our JSON bytes as they are. The generated client re-serializes
 * bodies through its typed models, which drops fields it has no model for, such as the
 * x-kubernetes-* extensions inside CRD schemas.
 */
export async function rawRequest(
  kc: KubeConfig,
  method: string,
  apiPath: string,
  body?: { contentType: string; data: string },
  accept = "application/json",
): Promise<RawResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const options: https.RequestOptions = { method, headers: {} };
  await kc.applyToHTTPSOptions(options);
  options.headers = {
    ...(options.headers as Record<string, string> | undefined),
    Accept: accept,
    ...(body ? { "Content-Type": body.contentType } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(apiPath, cluster.server), options, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${apiPath} timed out after 30s`)));
    request.on("error", reject);
    request.end(body?.data);
  });
}
