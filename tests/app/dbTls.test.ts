/**
 * DB_SSL=verify-full, against a stand-in for the RDS endpoint: a TCP server that answers PostgreSQL's
 * SSLRequest with 'S' and then completes a TLS handshake with a certificate from a test CA (made here with the
 * openssl CLI; RDS's own CA cannot be used offline). What the test assumes of RDS is only what the PostgreSQL
 * protocol documents ("SSL Session Encryption", PostgreSQL 16 manual, 55.2.10): the client sends SSLRequest,
 * the server answers 'S' and the TLS handshake follows. The pool must complete the handshake only when the
 * certificate chains to DB_SSL_CA and names DB_HOST (what libpq calls sslmode=verify-full).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { loadConfig } from "../../app/src/config";
import { createTenantDatabase } from "../../app/src/db";
import { createLogger } from "../../app/src/logger";
import { BASE_ENV } from "./support/service";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "db-tls-"));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

let server: net.Server;
let port: number;
const handshakes: string[] = [];

beforeAll(async () => {
  const subj = (cn: string) => ["-subj", `/CN=${cn}`, "-days", "2"];
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    ...subj("Test RDS CA"),
  );
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "other.key",
    "-out",
    "other.pem",
    ...subj("Other CA"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  fs.writeFileSync(file("san.ext"), "subjectAltName=DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );

  const key = fs.readFileSync(file("server.key"));
  const cert = fs.readFileSync(file("server.pem"));
  server = net.createServer((socket) => {
    socket.once("data", (request) => {
      // SSLRequest: Int32 length 8, Int32 80877103.
      if (request.length !== 8 || request.readInt32BE(4) !== 80877103) {
        socket.destroy();
        return;
      }
      socket.write("S");
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
      secure.on("secure", () => {
        handshakes.push("completed");
        secure.destroy();
      });
      secure.on("error", (err) => handshakes.push(`failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One connection attempt through the service's pool; resolves with the error pg reported. */
async function connectWith(env: Record<string, string>): Promise<string> {
  const loaded = loadConfig({ ...BASE_ENV, DB_SSL: "verify-full", DB_PORT: String(port), ...env });
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  const lines: string[] = [];
  const db = createTenantDatabase({
    db: loaded.config.db,
    logger: createLogger({ level: "warn", write: (l) => lines.push(l) }),
  });
  try {
    await db.withTenant("alpha", (q) => q.query("SELECT 1")).catch(() => undefined);
  } finally {
    await db.end();
  }
  const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "database connection failed");
  return String(failed?.err?.message ?? "no error");
}

describe("DB_SSL=verify-full", () => {
  it("completes the TLS handshake with a certificate that chains to DB_SSL_CA and names DB_HOST", async () => {
    handshakes.length = 0;
    const err = await connectWith({ DB_HOST: "localhost", DB_SSL_CA: file("ca.pem") });
    expect(handshakes).toEqual(["completed"]);
    // The stand-in hangs up after the handshake: the failure is the lost connection, not the certificate.
    expect(err).not.toMatch(/certificate|altname/i);
  });

  it("refuses a certificate from a CA that is not in DB_SSL_CA", async () => {
    handshakes.length = 0;
    const err = await connectWith({ DB_HOST: "localhost", DB_SSL_CA: file("other.pem") });
    expect(err).toMatch(/unable to verify the first certificate|self-signed certificate|unable to get local issuer/);
    expect(handshakes).not.toContain("completed");
  });

  it("refuses a valid certificate that does not name DB_HOST", async () => {
    handshakes.length = 0;
    const err = await connectWith({ DB_HOST: "127.0.0.1", DB_SSL_CA: file("ca.pem") });
    expect(err).toMatch(/Hostname\/IP does not match certificate's altnames/);
  });
});
