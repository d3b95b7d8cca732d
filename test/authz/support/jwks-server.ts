// A token issuer on 127.0.0.1 over HTTPS: ES256 keys made by jose, its JWKS served at
// /jwks.json, and a rotation that publishes a new key (kid) in place of the old one, as an
// identity provider does. Counts JWKS fetches so tests can see the gate's refresh rate.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { createCertificateAuthority, createServingCertificate } from "../../controlplane/pki.js";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface TokenIssuer {
  issuer: string;
  jwksUri: string;
  /** PEM of the CA that signed the server's certificate, for NODE_EXTRA_CA_CERTS. */
  caPem: string;
  fetches: number;
  sign(claims: Record<string, unknown>, options?: { expiresInSeconds?: number; audience?: string; kid?: string }): Promise<string>;
  /** Publishes a new signing key and drops the old one from the JWKS. */
  rotate(): Promise<void>;
  stop(): Promise<void>;
}

async function newKey(n: number): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `key-${n}-${Date.now()}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

export async function startTokenIssuer(): Promise<TokenIssuer> {
  const ca = await createCertificateAuthority("nexus-test-issuer-ca");
  const serving = await createServingCertificate(ca, "127.0.0.1");
  let generation = 1;
  let current = await newKey(generation);
  const state = { fetches: 0 };
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    if (req.url === "/jwks.json") {
      state.fetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [current.jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `https://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks.json`,
    caPem: ca.certPem,
    get fetches() {
      return state.fetches;
    },
    sign: async (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: options.kid ?? current.kid, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(options.audience ?? "ledger")
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 300))
        .sign(current.privateKey),
    rotate: async () => {
      current = await newKey(++generation);
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The test issuer listens on loopback: the gate fetches from it only when its host and address are allowed explicitly. */
export function jwksAllowed(tokenIssuer: TokenIssuer): string[] {
  return [`--allowed-jwks-hosts=${new URL(tokenIssuer.jwksUri).host}`, "--allowed-jwks-addresses=127.0.0.1/32"];
}
