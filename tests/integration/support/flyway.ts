/**
 * A stand-in for `flyway migrate` on one PostgreSQL schema, for tests that cannot run Flyway (no Flyway
 * binary, no JVM here). It reproduces what the tenant migrations depend on, from Flyway 10.22.0's source (the
 * version components/database/migrationTask.ts pins; paths are in github.com/flyway/flyway at tag
 * flyway-10.22.0):
 *
 * - which files count: `V<version>__<description>.sql` versioned migrations and `afterMigrate[__<desc>].sql`
 *   callbacks, found in one location (Flyway scans a `filesystem:` location recursively and finds callbacks
 *   in the same locations as migrations: documentation/"Flyway CLI and API"/Concepts/"Callback concept.md",
 *   "Location"; flyway-core .../callback/SqlScriptCallbackFactory.java). Any other `.sql` name is refused, as
 *   `validateMigrationNaming=true` (set by the task) does; the wording of that error is ours.
 * - order: versions compared numerically part by part (`2 < 10`, `1_1` is 1.1); a duplicate version fails.
 * - the history table: created on the first run with Flyway's exact PostgreSQL DDL (columns installed_rank,
 *   version, description, type, script, checksum, installed_by, installed_on, execution_time, success; primary
 *   key `<table>_pk`, index `<table>_s_idx`: flyway-database-postgresql .../PostgreSQLDatabase.java lines
 *   61-75; documented at https://documentation.red-gate.com/fd/flyway-schema-history-table-273973417.html),
 *   refused on a non-empty schema without one (Flyway.java 203-226, PostgreSQLSchema.java 57-73, same message).
 * - the row per migration: type `SQL`, description with `_` as spaces (ResourceNameParser.java 90),
 *   installed_by = current_user (PostgreSQLDatabase.java 79), execution time in ms, success true.
 * - the checksum: exactly ChecksumCalculator.java 63-87: CRC-32 over the UTF-8 bytes of each line without its
 *   terminator (so line-ending independent), a leading BOM dropped, as a signed 32-bit int. Flyway reads files
 *   in its configured encoding (UTF-8 by default); this reads UTF-8 only.
 * - validate-on-migrate: a changed applied file, an applied version missing locally, a failed row, or an
 *   unapplied version below the current one fail before anything runs (MigrationInfoImpl.java 248-311,
 *   DbMigrate.java 220-233); the checksum message is Flyway's, the others are shortened.
 * - each migration in its own transaction, search_path `"<schema>", <the connection's search_path>`
 *   (PostgreSQLConnection.java 77-96), role reset first; a failed one is rolled back and leaves no history
 *   row (DbMigrate.java 297-299: PostgreSQL has DDL transactions).
 * - the lock: Flyway's transaction-scoped advisory lock keyed on the schema-qualified history table,
 *   `0x466C79776179 + "<schema>"."<table>".hashCode()` (PostgreSQLAdvisoryLockTemplate.java 38-53 and 95-98,
 *   PostgreSQLConnection.java 104-106), so runs on different schemas do not wait for each other.
 * - `afterMigrate` after every successful migrate, also when nothing was pending (DbMigrate.java 116-119), in
 *   a transaction, search_path set the same way (DefaultCallbackExecutor.java 121-141), with the
 *   `${flyway:table}` and `${flyway:defaultSchema}` placeholders replaced; any other placeholder fails.
 *
 * What it does not reproduce: Flyway's connections (Flyway holds a main and a migration connection, plus an
 * event connection while `afterMigrate` runs; here one client does everything, and the migration and its
 * history row commit together, where Flyway commits them on two connections), its SQL parser (the file goes
 * to PostgreSQL as one simple-protocol query, so a statement PostgreSQL refuses inside a transaction block,
 * e.g. CREATE INDEX CONCURRENTLY, fails here instead of running non-transactionally), `pg_try_advisory_xact_lock`
 * with retries (here a blocking `pg_advisory_xact_lock`), repeatable (`R__`) and undo migrations, baseline,
 * `outOfOrder`, user placeholders, other callbacks, `group`, a `target` other than a plain version, and the
 * other commands (info, validate, repair, clean). The search_path is set transaction-local here (Flyway sets it
 * for the session). Flyway connects as migrator; connect the client as migrator too.
 */
import fs from "fs";
import path from "path";
import { crc32 } from "zlib";
import { ClientBase } from "pg";

export const DEFAULT_HISTORY_TABLE = "flyway_schema_history";
/** "Flyway" in ASCII, the base of every Flyway advisory lock number (PostgreSQLAdvisoryLockTemplate.java 38). */
export const FLYWAY_LOCK_MAGIC = 0x466c79776179n;

export interface VersionedMigration {
  /** As Flyway prints it: `1`, `1.1`, `10`. */
  readonly version: string;
  readonly parts: readonly bigint[];
  readonly description: string;
  readonly script: string;
  readonly sql: string;
  readonly checksum: number;
}

export interface MigrationSet {
  readonly versioned: readonly VersionedMigration[];
  /** afterMigrate callbacks, in Flyway's order (by description, the bare one first). */
  readonly afterMigrate: readonly { readonly script: string; readonly sql: string }[];
}

export interface MigrateOptions {
  /** Directory holding the migrations (Flyway's `filesystem:` location). */
  readonly location: string;
  /** The schema to migrate (Flyway's `-schemas=`, its default schema). */
  readonly schema: string;
  /**
   * Migrate up to and including this version only.
   * @default - every version
   */
  readonly target?: string;
  /** @default "flyway_schema_history" */
  readonly table?: string;
}

export interface MigrateReport {
  readonly schema: string;
  /** null: the schema had no version yet. */
  readonly initialVersion: string | null;
  readonly finalVersion: string | null;
  readonly applied: readonly { readonly version: string; readonly script: string; readonly executionTime: number }[];
  readonly callbacks: readonly string[];
}

/** The checksum Flyway 10 stores for a file (ChecksumCalculator.java 63-87). */
export function flywayChecksum(content: string): number {
  const text = content.startsWith("\uFEFF") ? content.slice(1) : content;
  // Java's BufferedReader.readLine ends a line at \n, \r or \r\n; Flyway hashes the lines without them.
  return crc32(Buffer.from(text.replace(/\r\n|\r|\n/g, ""), "utf8")) | 0;
}

/** Java's String.hashCode over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The advisory lock number Flyway takes for this schema's history table (PostgreSQLConnection.java 105). */
export function flywayLockKey(schema: string, table: string = DEFAULT_HISTORY_TABLE): bigint {
  return FLYWAY_LOCK_MAGIC + BigInt(javaStringHashCode(`${quoteIdent(schema)}.${quoteIdent(table)}`));
}

const VERSIONED = /^V([0-9]+(?:[._][0-9]+)*)__(.+)\.sql$/;
const CALLBACK = /^([a-z][A-Za-z]*?)(?:__(.+))?\.sql$/;

export function compareVersions(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function parseVersion(version: string): bigint[] {
  return version.split(/[._]/).map((p) => BigInt(p));
}

/** Reads a location the way Flyway resolves it: every `.sql` file below it, recursively, by file name. */
export function readMigrations(location: string): MigrationSet {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const full = path.join(dir, entry.name);
      // FileSystemScanner.java 134-137: hidden directories are skipped.
      if (entry.isDirectory() && !entry.name.startsWith(".")) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".sql")) files.push(full);
    }
  };
  walk(location);
  const versioned: VersionedMigration[] = [];
  const afterMigrate: { script: string; sql: string; description: string }[] = [];
  const invalid: string[] = [];
  for (const file of files) {
    const script = path.basename(file);
    const sql = fs.readFileSync(file, "utf8");
    const v = VERSIONED.exec(script);
    if (v) {
      const parts = parseVersion(v[1]);
      versioned.push({
        version: parts.join("."),
        parts,
        description: v[2].replace(/_/g, " "),
        script,
        sql,
        checksum: flywayChecksum(sql),
      });
      continue;
    }
    const c = CALLBACK.exec(script);
    if (c && c[1] === "afterMigrate") {
      afterMigrate.push({ script, sql, description: c[2] ?? "" });
    } else if (c && /^(before|after)[A-Z]/.test(c[1])) {
      throw new Error(`${file}: the ${c[1]} callback would run under Flyway, but this stand-in runs afterMigrate only`);
    } else {
      invalid.push(`${file}: expected V<version>__<description>.sql or afterMigrate.sql`);
    }
  }
  if (invalid.length > 0) throw new Error(`Invalid SQL filenames found:\n${invalid.join("\n")}`);
  versioned.sort((a, b) => compareVersions(a.parts, b.parts));
  for (let i = 1; i < versioned.length; i++) {
    if (compareVersions(versioned[i - 1].parts, versioned[i].parts) === 0) {
      throw new Error(
        `Found more than one migration with version ${versioned[i].version}\nOffenders:\n-> ${versioned[i - 1].script}\n-> ${versioned[i].script}`,
      );
    }
  }
  afterMigrate.sort((a, b) =>
    a.description === "" ? -1 : b.description === "" ? 1 : a.description.localeCompare(b.description),
  );
  return { versioned, afterMigrate: afterMigrate.map(({ script, sql }) => ({ script, sql })) };
}

function replacePlaceholders(script: string, sql: string, values: Record<string, string>): string {
  return sql.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name in values) return values[name];
    throw new Error(
      name.startsWith("flyway:")
        ? `${script}: Failed to populate value for default placeholder: ${whole}`
        : `${script}: No value provided for placeholder: ${whole}.  Check your configuration!`,
    );
  });
}

interface HistoryRow {
  installed_rank: number;
  version: string | null;
  script: string;
  checksum: number | null;
  success: boolean;
}

/**
 * `flyway migrate` of one schema through `client` (connected as the migrator). Resolves with what was applied;
 * rejects with Flyway's error when validation fails, and with the PostgreSQL error when a migration fails (that
 * migration is rolled back, the ones before it stay applied, as with Flyway).
 */
export async function migrateSchema(client: ClientBase, opts: MigrateOptions): Promise<MigrateReport> {
  const table = opts.table ?? DEFAULT_HISTORY_TABLE;
  const { schema } = opts;
  const set = readMigrations(opts.location);
  const target = opts.target === undefined ? undefined : parseVersion(opts.target);
  const qualified = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const lockKey = flywayLockKey(schema, table).toString();
  const [{ user, search_path: originalPath }] = (
    await client.query<{ user: string; search_path: string }>(
      "SELECT current_user AS user, current_setting('search_path') AS search_path",
    )
  ).rows;
  const searchPath = originalPath.trim() === "" ? quoteIdent(schema) : `${quoteIdent(schema)},${originalPath}`;

  const inTransaction = async <T>(body: () => Promise<T>): Promise<T> => {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey]);
      await client.query("RESET ROLE");
      await client.query("SELECT set_config('search_path', $1, true)", [searchPath]);
      const result = await body();
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK");
      throw e;
    }
  };

  const exists = async () =>
    (await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [qualified])).rows[0].t !== null;
  if (!(await exists())) {
    const [{ empty }] = (
      await client.query<{ empty: boolean }>(
        `SELECT NOT EXISTS (
           SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_catalog.pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
            WHERE n.nspname = $1 AND d.objid IS NULL AND c.relkind IN ('r', 'v', 'S', 't')
           UNION ALL
           SELECT t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
             LEFT JOIN pg_catalog.pg_depend d ON d.objid = t.oid AND d.deptype = 'e'
            WHERE n.nspname = $1 AND d.objid IS NULL AND t.typcategory NOT IN ('A', 'C')
           UNION ALL
           SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             LEFT JOIN pg_catalog.pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
            WHERE n.nspname = $1 AND d.objid IS NULL) AS empty`,
        [schema],
      )
    ).rows;
    if (!empty) {
      throw new Error(
        `Found non-empty schema(s) ${quoteIdent(schema)} but no schema history table. Use baseline() or set baselineOnMigrate to true to initialize the schema history table.`,
      );
    }
    await inTransaction(async () => {
      if (await exists()) return;
      await client.query(`CREATE TABLE ${qualified} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE ${qualified} ADD CONSTRAINT ${quoteIdent(`${table}_pk`)} PRIMARY KEY ("installed_rank");
CREATE INDEX ${quoteIdent(`${table}_s_idx`)} ON ${qualified} ("success");`);
    });
  }

  const history = async () =>
    (
      await client.query<HistoryRow>(
        `SELECT installed_rank, version, script, checksum, success FROM ${qualified} ORDER BY installed_rank`,
      )
    ).rows;
  const before = await history();
  const versionOf = (rows: HistoryRow[]) => {
    const ok = rows.filter((r) => r.success && r.version !== null).map((r) => parseVersion(r.version as string));
    ok.sort(compareVersions);
    return ok.length === 0 ? null : ok[ok.length - 1].join(".");
  };

  const failed = before.find((r) => !r.success);
  if (failed) {
    throw new Error(`Schema ${quoteIdent(schema)} contains a failed migration to version ${failed.version} !`);
  }
  for (const row of before) {
    if (row.version === null) continue;
    const local = set.versioned.find((m) => compareVersions(m.parts, parseVersion(row.version as string)) === 0);
    if (local === undefined) {
      throw new Error(
        `Validate failed: Migrations have failed validation\nDetected applied migration not resolved locally: ${row.version}.`,
      );
    }
    if (local.checksum !== row.checksum) {
      throw new Error(
        `Validate failed: Migrations have failed validation\nMigration checksum mismatch for migration version ${row.version}\n-> Applied to database : ${row.checksum}\n-> Resolved locally    : ${local.checksum}\nEither revert the changes to the migration, or run repair to update the schema history.`,
      );
    }
  }
  const initialVersion = versionOf(before);
  const current = initialVersion === null ? [] : parseVersion(initialVersion);
  const unapplied = set.versioned.filter(
    (m) => !before.some((r) => r.version !== null && compareVersions(parseVersion(r.version), m.parts) === 0),
  );
  const skipped = unapplied.find((m) => initialVersion !== null && compareVersions(m.parts, current) < 0);
  if (skipped) {
    throw new Error(
      `Validate failed: Migrations have failed validation\nDetected resolved migration not applied to database: ${skipped.version}.`,
    );
  }

  const applied: { version: string; script: string; executionTime: number }[] = [];
  for (const m of unapplied) {
    if (target !== undefined && compareVersions(m.parts, target) > 0) break;
    const started = performance.now();
    await inTransaction(async () => {
      await client.query(m.sql);
      const executionTime = Math.round(performance.now() - started);
      await client.query("RESET ROLE");
      await client.query(
        `INSERT INTO ${qualified} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
         VALUES ((SELECT coalesce(max(installed_rank), 0) + 1 FROM ${qualified}), $1, $2, 'SQL', $3, $4, $5, $6, true)`,
        [m.version, m.description, m.script, m.checksum, user, executionTime],
      );
      applied.push({ version: m.version, script: m.script, executionTime });
    });
  }

  const callbacks: string[] = [];
  for (const cb of set.afterMigrate) {
    const sql = replacePlaceholders(cb.script, cb.sql, { "flyway:table": table, "flyway:defaultSchema": schema });
    await inTransaction(() => client.query(sql));
    callbacks.push(cb.script);
  }
  return { schema, initialVersion, finalVersion: versionOf(await history()), applied, callbacks };
}

/** System schemas that are the same in every tenant's search path; qualifying with them names no tenant. */
const ALLOWED_QUALIFIERS = new Set(["pg_catalog", "information_schema"]);
const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;

function unquote(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

/**
 * Why a migration file is not schema-agnostic, one line per finding; [] when it is. Looks for a tenant name
 * anywhere (comments included), an object name qualified with a schema (after the keywords that name a table,
 * sequence, index, view, type or function, in a cast, in a call, or as a whole string literal such as a
 * regclass), and anything that changes the schema the run works in. Column references qualified with a table
 * or alias (`n.id = m.id`) are not object names and pass.
 */
export function schemaNameProblems(script: string, sql: string): string[] {
  const problems: string[] = [];
  const lineOf = (index: number) => sql.slice(0, index).split("\n").length;
  for (const m of sql.matchAll(/tenant_/gi)) {
    problems.push(`${script}:${lineOf(m.index ?? 0)}: names a tenant ("${m[0]}…"); write it schema-agnostic`);
  }
  // Same length, so positions still point at the right line: comments blanked, string contents kept apart.
  const code = sql
    .replace(/--[^\n]*/g, (c) => " ".repeat(c.length))
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  const strings = [...code.matchAll(/'((?:[^']|'')*)'/g)];
  const noStrings = code.replace(/'(?:[^']|'')*'/g, (s) => `'${" ".repeat(s.length - 2)}'`);
  // One finding per name and line: `INSERT INTO s.t (` matches both the object and the call pattern.
  const seen = new Set<string>();
  const report = (index: number, qualifier: string, name: string, how: string) => {
    const key = `${lineOf(index)}:${unquote(qualifier)}.${unquote(name)}`;
    if (ALLOWED_QUALIFIERS.has(unquote(qualifier)) || seen.has(key)) return;
    seen.add(key);
    problems.push(
      `${script}:${lineOf(index)}: ${how} ${qualifier}.${name} is schema-qualified; write ${name} (the run's search_path is the tenant's schema)`,
    );
  };
  const keyword = new RegExp(
    `\\b(?:TABLE|SEQUENCE|INDEX|VIEW|FUNCTION|PROCEDURE|TYPE|DOMAIN|INTO|FROM|JOIN|UPDATE|REFERENCES|ONLY|EXISTS|TRUNCATE)\\s+(${IDENT})\\s*\\.\\s*(${IDENT})`,
    "gi",
  );
  for (const m of noStrings.matchAll(keyword)) report(m.index ?? 0, m[1], m[2], "object");
  const on = new RegExp(`\\bON\\s+(${IDENT})\\s*\\.\\s*(${IDENT})\\s*(?=\\(|USING\\b|FOR\\b|TO\\b|AS\\b|IS\\b)`, "gi");
  for (const m of noStrings.matchAll(on)) report(m.index ?? 0, m[1], m[2], "object");
  const cast = new RegExp(`::\\s*(${IDENT})\\s*\\.\\s*(${IDENT})`, "g");
  for (const m of noStrings.matchAll(cast)) report(m.index ?? 0, m[1], m[2], "type");
  const call = new RegExp(`(?<![.\\w$"])(${IDENT})\\s*\\.\\s*(${IDENT})\\s*\\(`, "g");
  for (const m of noStrings.matchAll(call)) report(m.index ?? 0, m[1], m[2], "function");
  const literal = new RegExp(`^\\s*(${IDENT})\\.(${IDENT})\\s*$`);
  for (const s of strings) {
    const m = literal.exec(s[1]);
    if (m) report(s.index ?? 0, m[1], m[2], "literal");
  }
  for (const m of noStrings.matchAll(
    /\bsearch_path\b|\bSET\s+SCHEMA\b|\bCREATE\s+SCHEMA\b|\$\{flyway:defaultSchema\}/gi,
  )) {
    problems.push(`${script}:${lineOf(m.index ?? 0)}: "${m[0]}" changes or names the schema; leave it to the run`);
  }
  // A `set_config('search_path', …)` hides the name inside a string.
  for (const s of strings) {
    if (/^\s*search_path\s*$/i.test(s[1])) {
      problems.push(`${script}:${lineOf(s.index ?? 0)}: sets search_path; leave it to the run`);
    }
  }
  return [...new Set(problems)].sort();
}
