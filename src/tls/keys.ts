import { generateKeyPairSync } from "node:crypto";

/** A new EC P-256 private key, PKCS#8 PEM (64 columns, trailing newline). */
export function generatePrivateKey(): string {
  const { privateKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}
