// Image build step (Dockerfile stage rds-ca): downloads the Amazon RDS certificate bundle for all AWS Regions,
// which the service verifies the database's certificate against (DB_SSL=verify-full, DB_SSL_CA). The address is
// the one the Amazon RDS User Guide gives in "Using SSL/TLS to encrypt a connection to a DB instance or
// cluster" (certificate bundles for all AWS Regions). It is fetched over HTTPS, verified by Node's public CA
// store, and every certificate in it must parse, be a CA, and be issued to Amazon RDS; anything else fails the
// build instead of shipping a trust store nobody checked.
//
// Why fetched at build time and not committed: AWS adds CAs to the bundle (new regions, rotations); a copy in
// the repository would go stale silently, a fresh one is taken on every image build.
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";

const SOURCE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";
const out = process.argv[2];
if (!out) {
  console.error("usage: node fetch-rds-ca.mjs <output.pem>");
  process.exit(2);
}

const res = await fetch(SOURCE, { signal: AbortSignal.timeout(30_000) });
if (!res.ok) throw new Error(`${SOURCE}: HTTP ${res.status}`);
const blocks = (await res.text()).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
if (blocks.length === 0) throw new Error(`${SOURCE}: no PEM certificate in the response`);
for (const block of blocks) {
  const cert = new X509Certificate(block);
  if (!cert.ca) throw new Error(`${SOURCE}: ${cert.subject} is not a CA certificate`);
  if (!/Amazon RDS/.test(cert.subject)) throw new Error(`${SOURCE}: unexpected subject ${cert.subject}`);
}
writeFileSync(out, `${blocks.join("\n")}\n`);
console.log(`${out}: ${blocks.length} Amazon RDS CA certificates`);
