/**
 * The provisioner Lambda's entry point: the only file of the tenant plane that talks to AWS. It reads the RDS
 * master user's credentials from the RDS-managed secret at every invocation (so a rotation needs no redeploy),
 * connects over TLS verified against the Amazon RDS certificate authorities, and hands the event to the core.
 *
 * Environment (set by components/tenant-plane/provisioner.ts):
 *   DB_HOST, DB_PORT, DB_NAME  the instance endpoint and the tenants' database
 *   MASTER_SECRET_ARN          the RDS-managed master secret (`{"username","password"}`)
 *   NODE_EXTRA_CA_CERTS        /var/runtime/ca-cert.pem: the Node.js 20+ Lambda runtimes no longer load the
 *                              Amazon CAs (RDS included) unless told to (AWS Compute Blog, "Node.js 20.x runtime
 *                              now available in AWS Lambda", 2023-11)
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Client, ClientConfig } from "pg";
import { deletionReport, isDeleteEvent, provisionTenants, ProvisionReport } from "./provision";
import { isPurgeEvent, purgeTenant, PurgeReport, S3ExportSink } from "./purge";

export interface HandlerEnvironment {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly masterSecretArn: string;
  /** Bucket the purge command exports a tenant's data to before anything is dropped. */
  readonly exportBucket?: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv): HandlerEnvironment {
  const problems: string[] = [];
  const need = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "") problems.push(`${name} is not set`);
    return v ?? "";
  };
  const host = need("DB_HOST");
  const port = Number(need("DB_PORT"));
  const database = need("DB_NAME");
  const masterSecretArn = need("MASTER_SECRET_ARN");
  if (env.DB_PORT !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    problems.push(`DB_PORT=${JSON.stringify(env.DB_PORT)} is not a port number`);
  }
  if (problems.length > 0) throw new Error(`provisioner misconfigured: ${problems.join("; ")}`);
  return { host, port, database, masterSecretArn, ...(env.EXPORT_BUCKET ? { exportBucket: env.EXPORT_BUCKET } : {}) };
}

export interface HandlerDependencies {
  readonly secrets: SecretsManagerClient;
  /** Builds the database client; the tests replace TLS, which the embedded server does not offer. */
  readonly newClient: (config: ClientConfig) => Client;
  readonly exportSink?: (bucket: string) => S3ExportSink;
  /** One structured line per entry in the function's log. @default - JSON on stdout (Lambda's JSON log format) */
  readonly log?: (entry: Record<string, unknown>) => void;
}

interface MasterCredentials {
  readonly username: string;
  readonly password: string;
}

async function masterCredentials(secrets: SecretsManagerClient, secretId: string): Promise<MasterCredentials> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = JSON.parse(out.SecretString ?? "{}") as Partial<MasterCredentials>;
  if (typeof parsed.username !== "string" || typeof parsed.password !== "string") {
    throw new Error(`secret ${secretId} has no "username" and "password"`);
  }
  return { username: parsed.username, password: parsed.password };
}

export function clientConfig(env: HandlerEnvironment, credentials: MasterCredentials): ClientConfig {
  return {
    host: env.host,
    port: env.port,
    database: env.database,
    user: credentials.username,
    password: credentials.password,
    // rds.force_ssl=1 refuses anything else; verification makes a spoofed endpoint fail instead of receiving
    // the master password.
    ssl: { rejectUnauthorized: true, servername: env.host },
    application_name: "tenant-provisioner",
    connectionTimeoutMillis: 10_000,
  };
}

/** 28P01 invalid_password: the secret may have rotated between the read and the login; read it once more. */
async function connect(deps: HandlerDependencies, env: HandlerEnvironment): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    const client = deps.newClient(clientConfig(env, await masterCredentials(deps.secrets, env.masterSecretArn)));
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      if ((e as { code?: string }).code !== "28P01" || attempt >= 2) throw e;
    }
  }
}

export function createHandler(deps: HandlerDependencies, env: () => HandlerEnvironment) {
  const log = deps.log ?? ((entry: Record<string, unknown>) => console.log(JSON.stringify(entry)));
  return async (event: unknown): Promise<ProvisionReport | PurgeReport> => {
    const settings = env();
    // The function's log group is the audit trail: every event (it carries no secret) and every outcome.
    log({ msg: "event", event });
    // Removing the Invocation (a replacement, the stack going away) must never depend on the database, the
    // secret or this version's event schema: it changes nothing, so it needs nothing.
    if (isDeleteEvent(event)) {
      const report = deletionReport(event);
      log({ msg: "done", report });
      return report;
    }
    const client = await connect(deps, settings);
    try {
      const report = isPurgeEvent(event)
        ? await purge(deps, settings, client, event)
        : await provisionTenants(client, event);
      log({ msg: "done", report });
      return report;
    } catch (e) {
      log({ msg: "failed", error: (e as Error).message });
      throw e;
    } finally {
      await client.end();
    }
  };
}

async function purge(deps: HandlerDependencies, settings: HandlerEnvironment, client: Client, event: unknown) {
  if (settings.exportBucket === undefined || deps.exportSink === undefined) {
    throw new Error("purge needs EXPORT_BUCKET: the export destination is not configured");
  }
  return purgeTenant(client, event, deps.exportSink(settings.exportBucket));
}

let cached: ReturnType<typeof createHandler> | undefined;

/** `index.handler` in the bundle. Clients are created once per execution environment, as AWS recommends. */
export async function handler(event: unknown): Promise<ProvisionReport | PurgeReport> {
  if (cached === undefined) {
    // Loaded lazily so the core stays importable where the S3 client is not needed.
    const { S3Client } = await import("@aws-sdk/client-s3");
    const s3 = new S3Client({ maxAttempts: 3, requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 } });
    const { s3ExportSink } = await import("./s3Export");
    cached = createHandler(
      {
        secrets: new SecretsManagerClient({}),
        newClient: (c) => new Client(c),
        exportSink: (b) => s3ExportSink(s3, b),
      },
      () => readEnvironment(process.env),
    );
  }
  return cached(event);
}
