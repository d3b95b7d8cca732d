// EngineIdentity -> cert-manager Certificate for its X.509-SVID: the SPIFFE ID as the one
// URI SAN, no common name, client and server auth, keys rotated at every renewal.
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { EngineIdentity } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import {
  controllerReference,
  IDENTITY_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  SOURCE_GENERATION_ANNOTATION,
} from "../render/metadata.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { formatGoDuration, parseGoDuration } from "./duration.js";
import { issuerRefOf } from "./certificate-limits.js";
import { spiffeIdOf } from "./identity-facts.js";

const DEFAULT_DURATION = "24h";
const DEFAULT_KEY_SIZE: Record<string, number | undefined> = { ECDSA: 256, RSA: 2048, Ed25519: undefined };

const CERTIFICATE_SUFFIX = "-svid";

export function certificateName(identity: EngineIdentity): string {
  return `${identity.metadata.name}${CERTIFICATE_SUFFIX}`;
}

/** The EngineIdentity whose Certificate would carry this name, if any would. */
export function identityNameOfCertificateName(name: string): string | undefined {
  return name.endsWith(CERTIFICATE_SUFFIX) && name.length > CERTIFICATE_SUFFIX.length ? name.slice(0, -CERTIFICATE_SUFFIX.length) : undefined;
}

export function secretNameOf(identity: EngineIdentity): string {
  return identity.spec.certificate?.secretName ?? certificateName(identity);
}

/** The Certificate for an identity, or undefined when it asks for mesh identity only. */
export function renderCertificate(identity: EngineIdentity, config: RenderConfig): KubeObject | undefined {
  const wanted = identity.spec.certificate;
  if (!wanted) return undefined;
  const duration = wanted.duration ?? DEFAULT_DURATION;
  const renewBefore = wanted.renewBefore ?? formatGoDuration(parseGoDuration(duration) / 3);
  const algorithm = wanted.privateKey?.algorithm ?? "ECDSA";
  const size = wanted.privateKey?.size ?? DEFAULT_KEY_SIZE[algorithm];
  const issuer = issuerRefOf(identity, config);
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: identity.metadata.name };
  const certificate = new Certificate({
    metadata: {
      name: certificateName(identity),
      namespace: identity.metadata.namespace,
      labels,
      annotations: { [SOURCE_GENERATION_ANNOTATION]: String(identity.metadata.generation ?? 0) },
      ownerReferences: [controllerReference(identity)],
    },
    spec: {
      secretName: secretNameOf(identity),
      uris: [spiffeIdOf(identity, config.trustDomain)],
      ...(wanted.dnsNames?.length ? { dnsNames: [...wanted.dnsNames].sort() } : {}),
      duration,
      renewBefore,
      privateKey: {
        algorithm,
        ...(size !== undefined ? { size } : {}),
        rotationPolicy: "Always",
        encoding: "PKCS8",
      },
      usages: ["digital signature", "key encipherment", "server auth", "client auth"],
      issuerRef: issuer,
      secretTemplate: { labels },
    },
  });
  return certificate.toJSON() as unknown as KubeObject;
}

