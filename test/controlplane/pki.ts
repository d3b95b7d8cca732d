import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// ECDSA P-256 keys generate in microseconds, where RSA would cost a noticeable part of the
// start time; Go's TLS stack and the apiserver's token signer both accept them.
const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** The PEM half of a CA is all a test worker process gets; this rebuilds the signing half. */
export async function importCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certPem);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(keyPem),
    KEY_ALGORITHM,
    true,
    ["sign"],
  );
  const publicKey = await certificate.publicKey.export(crypto);
  return { certPem, keyPem, certificate, keys: { privateKey, publicKey } };
}

export interface KeyAndCertificate {
  certPem: string;
  keyPem: string;
}

export interface KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("spki", key);
  return x509.PemConverter.encode(der, "PUBLIC KEY");
}

function validity(): { notBefore: Date; notAfter: Date } {
  // Backdated so a clock a little behind the apiserver's does not reject a fresh cert.
  const now = Date.now();
  return { notBefore: new Date(now - 60 * 60 * 1000), notAfter: new Date(now + 7 * 24 * 60 * 60 * 1000) };
}

export async function createCertificateAuthority(commonName = "nexus-test-ca"): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString("pem"), keyPem: await privateKeyPem(keys.privateKey), certificate, keys };
}

async function issue(
  ca: CertificateAuthority,
  subject: x509.JsonName,
  usages: x509.ExtendedKeyUsage[],
  extra: x509.Extension[] = [],
): Promise<KeyAndCertificate> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject,
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...extra,
    ],
  });
  return { certPem: certificate.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A serving certificate valid for the loopback names the harness binds to. */
export function createServingCertificate(
  ca: CertificateAuthority,
  commonName = "kube-apiserver",
): Promise<KeyAndCertificate> {
  return issue(ca, [{ CN: [commonName] }], [x509.ExtendedKeyUsage.serverAuth], [
    new x509.SubjectAlternativeNameExtension([
      { type: "ip", value: "127.0.0.1" },
      { type: "dns", value: "localhost" },
    ]),
  ]);
}

/**
 * A client certificate as the apiserver's x509 authenticator reads it: CN is the user name,
 * each O is a group. Separate attributes keep group names with commas or colons intact.
 */
export function createClientCertificate(
  ca: CertificateAuthority,
  user: string,
  groups: readonly string[] = [],
): Promise<KeyAndCertificate> {
  const subject: x509.JsonName = [{ CN: [user] }, ...groups.map((group) => ({ O: [group] }))];
  return issue(ca, subject, [x509.ExtendedKeyUsage.clientAuth]);
}

/** The key pair the apiserver signs and verifies ServiceAccount tokens with (ES256). */
export async function createServiceAccountSigningKey(): Promise<KeyPairPem> {
  const keys = await generateKeys();
  return { publicKeyPem: await publicKeyPem(keys.publicKey), privateKeyPem: await privateKeyPem(keys.privateKey) };
}

/** An X.509-SVID signed by the CA: one URI SAN, the SPIFFE ID, for client and server auth. */
export function createSvidCertificate(ca: CertificateAuthority, spiffeId: string, serverNames: Array<{ type: "ip" | "dns"; value: string }> = []): Promise<KeyAndCertificate> {
  return issue(ca, [], [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth], [
    new x509.SubjectAlternativeNameExtension([{ type: "url", value: spiffeId }, ...serverNames], true),
  ]);
}
