/**
 * A `flyway` command line over the Flyway stand-in (flyway.ts), for tests that run the migration task's runner
 * as the image does: `flyway -schemas=<s> -defaultSchema=<s> migrate`, configured like the task definition
 * (FLYWAY_URL as a JDBC URL, FLYWAY_USER, FLYWAY_PASSWORD, FLYWAY_LOCATIONS=filesystem:<dir>). Like Flyway it
 * exits 0 on success and 1 with an `ERROR:` block on stderr on failure. Only `migrate` is offered.
 */
import { Client } from "pg";
import { migrateSchema } from "./flyway";

async function main(argv: string[]): Promise<number> {
  const option = (name: string) => argv.find((a) => a.startsWith(`-${name}=`))?.slice(name.length + 2);
  const schema = option("schemas");
  if (argv[argv.length - 1] !== "migrate" || !schema || option("defaultSchema") !== schema) {
    process.stderr.write(
      `ERROR: this stand-in runs only "-schemas=<s> -defaultSchema=<s> migrate", got ${argv.join(" ")}\n`,
    );
    return 1;
  }
  const m = /^jdbc:postgresql:\/\/([^:/]+):(\d+)\/([^?]+)/.exec(process.env.FLYWAY_URL ?? "");
  const location = (process.env.FLYWAY_LOCATIONS ?? "").replace(/^filesystem:/, "");
  if (!m || !location) {
    process.stderr.write("ERROR: FLYWAY_URL and FLYWAY_LOCATIONS are required\n");
    return 1;
  }
  const client = new Client({
    host: m[1],
    port: Number(m[2]),
    database: m[3],
    user: process.env.FLYWAY_USER,
    password: process.env.FLYWAY_PASSWORD,
  });
  await client.connect();
  try {
    const report = await migrateSchema(client, { location, schema });
    process.stdout.write(
      `Flyway stand-in: schema "${schema}" now at version ${report.finalVersion ?? "<< Empty Schema >>"}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`ERROR: Migration of schema "${schema}" failed\nMessage    : ${(e as Error).message}\n`);
    return 1;
  } finally {
    await client.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
