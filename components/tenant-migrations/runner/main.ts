/**
 * The migration task's entry point (bundled into the migration image as /opt/runner/runner.js): migrates the
 * batch the state machine put in the environment, one `flyway migrate` per schema, writes every tenant's result
 * to the results bucket for the state machine to read, and exits 0 when every tenant migrated, 1 when one
 * failed, 2 when the task was started without a valid batch (then there are no results to write).
 *
 * The decisions live in ../batchRunner.ts (no AWS import, tested on a real PostgreSQL); this file only plugs in
 * the Flyway CLI, a short PostgreSQL connection to read versions, and S3.
 */
import { spawn } from "child_process";
import { Client } from "pg";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  flywayErrorMessage,
  migrateBatch,
  parseBatchEnvironment,
  readCurrentVersion,
  resultsKey,
  SchemaMigrator,
} from "../batchRunner";
import { parseJdbcUrl } from "./jdbc";

/** Runs the Flyway CLI of the image; resolves on exit 0, rejects with Flyway's error otherwise. */
function flyway(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Flyway's own output goes to the task's log as it comes (stdout/stderr of the task), and is kept for the
    // tenant's error message.
    const child = spawn("flyway", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
      to.write(chunk);
      output = (output + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", (c: Buffer) => keep(c, process.stdout));
    child.stderr.on("data", (c: Buffer) => keep(c, process.stderr));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(flywayErrorMessage(output, code)))));
  });
}

async function main(): Promise<number> {
  let batch;
  let db;
  try {
    batch = parseBatchEnvironment(process.env);
    db = parseJdbcUrl(process.env.FLYWAY_URL ?? "");
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const migrator: SchemaMigrator = {
    // A connection per read, closed before Flyway starts: the batch holds at most Flyway's connections.
    async currentVersion(schema) {
      const client = new Client({
        host: db.host,
        port: db.port,
        database: db.database,
        user: process.env.FLYWAY_USER,
        password: process.env.FLYWAY_PASSWORD,
        // As the JDBC URL's sslmode=require: encrypted, the server certificate not verified.
        ssl: { rejectUnauthorized: false },
        connectionTimeoutMillis: 10_000,
      });
      await client.connect();
      try {
        return await readCurrentVersion(client, schema);
      } finally {
        await client.end();
      }
    },
    migrate: (schema) => flyway([`-schemas=${schema}`, `-defaultSchema=${schema}`, "migrate"]),
  };
  const results = await migrateBatch(batch.schemas, migrator);
  for (const r of results) console.log(JSON.stringify({ msg: "tenant migrated", batchId: batch.batchId, ...r }));
  await new S3Client({}).send(
    new PutObjectCommand({
      Bucket: batch.resultsBucket,
      Key: resultsKey(batch.runId, batch.batchId),
      Body: JSON.stringify({ batchId: batch.batchId, results }),
      ContentType: "application/json",
    }),
  );
  return results.some((r) => r.error !== null) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Results could not be written (S3, KMS): the state machine records the batch as failed without results.
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 3;
  },
);
