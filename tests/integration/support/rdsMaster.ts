/**
 * An Amazon RDS for PostgreSQL master user, as far as plain PostgreSQL 16 can stand in for one. What RDS
 * documents and this reproduces:
 * - the master user is not a superuser: it has CREATEROLE and CREATEDB and is a member of `rds_superuser`
 *   (RDS User Guide, "Understanding PostgreSQL roles and permissions");
 * - `rds_iam` exists; a member logs in with an IAM token (RDS User Guide, "Creating a database account using
 *   IAM authentication"); the master user may grant it (here: ADMIN OPTION through rds_superuser);
 * - the master user owns the database created with the instance (`DBName`) and the `postgres` database
 *   (assumed from `\l` on new RDS instances; if it did not, the provisioner's REVOKE on `postgres` would change
 *   nothing and the verifier's check "PUBLIC privileges on database postgres" would fail the deploy, loudly).
 * What it cannot reproduce: IAM token authentication itself (tests log in with passwords) and TLS.
 */
import { randomBytes } from "crypto";
import { Client } from "pg";
import { TestServer } from "./postgresServer";

export interface RdsLikeDatabase {
  /** Connection URL of the master user in its own database. */
  readonly url: string;
  readonly database: string;
  readonly masterUser: string;
  readonly password: string;
  /** Connection URL of the server's superuser in this database: setup and checks no RDS user could do. */
  readonly superuserUrl: string;
  urlFor(user: string, password: string): string;
  /** Removes the database and every role this database's tests created (a shared DATABASE_URL server keeps its own). */
  drop(): Promise<void>;
}

async function superuser(server: TestServer): Promise<Client> {
  const c = new Client({ connectionString: server.url });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

/**
 * A fresh database owned by a fresh RDS-like master user; `label` keeps suites on one server apart. `exactName`
 * names the database `label` itself (a stack's `saas:databaseName`, for the commands that render its event).
 */
export async function createRdsLikeDatabase(
  server: TestServer,
  label: string,
  opts: { exactName?: boolean } = {},
): Promise<RdsLikeDatabase> {
  const suffix = randomBytes(3).toString("hex");
  const database = opts.exactName ? label : `${label}_${suffix}`;
  const masterUser = `rds_master_${suffix}`;
  const password = randomBytes(12).toString("hex");
  const root = await superuser(server);
  const rolesBefore = new Set((await root.query("SELECT rolname FROM pg_roles")).rows.map((r) => r.rolname as string));
  try {
    await root.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') THEN CREATE ROLE rds_superuser NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam NOLOGIN; END IF;
    END $$`);
    await root.query("GRANT rds_iam TO rds_superuser WITH ADMIN OPTION, INHERIT FALSE, SET FALSE");
    await root.query(`CREATE ROLE ${masterUser} LOGIN CREATEROLE CREATEDB PASSWORD '${password}'`);
    await root.query(`GRANT rds_superuser TO ${masterUser}`);
    await root.query(`CREATE DATABASE ${database} OWNER ${masterUser}`);
    await root.query(`ALTER DATABASE postgres OWNER TO ${masterUser}`);
  } finally {
    await root.end();
  }
  const inDatabase = (url: string) => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const urlFor = (user: string, pw: string) => inDatabase(server.urlFor(user, pw));
  return {
    url: urlFor(masterUser, password),
    database,
    masterUser,
    password,
    superuserUrl: inDatabase(server.url),
    urlFor,
    async drop() {
      const c = await superuser(server);
      try {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.query("ALTER DATABASE postgres OWNER TO CURRENT_USER");
        const created = (await c.query("SELECT rolname FROM pg_roles ORDER BY oid DESC")).rows
          .map((r) => r.rolname as string)
          .filter((r) => !rolesBefore.has(r));
        // Roles are shared by the cluster: another suite's database may still hold privileges for a role of the
        // same name (app, migrator), so DROP OWNED first, in every database this suite touched.
        for (const role of created) {
          await c.query(`DROP OWNED BY "${role}" CASCADE`).catch(() => undefined);
        }
        for (const role of created) await c.query(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await c.end();
      }
    },
  };
}
