import { resourcePolicy } from "../../lib/definePolicy";
import { containersOf } from "../../lib/containers";
import { asArray, asObject, asString } from "../../lib/props";

/** Environment variable names that hold credentials. */
export const SECRET_NAME_PATTERN = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/**
 * Names that point at a secret rather than hold it (`DB_SECRET_ARN`, `TOKEN_URL`, `KMS_KEY_ID`): passing where a
 * secret lives is the recommended pattern, so these are not flagged.
 */
export const SECRET_REFERENCE_PATTERN = /_(ARN|NAME|ID|URL|URI|ENDPOINT|PATH|FILE|TTL|HEADER|REGION)$/i;

/**
 * Protects: credentials. Values in a container's `environment` are stored in plaintext in the task definition,
 * visible to anyone with ecs:DescribeTaskDefinition and in Pulumi state; `secrets` with `valueFrom` (Secrets
 * Manager or SSM) keeps them encrypted and out of both. Severity: high.
 */
export const disallowPlaintextContainerSecrets = resourcePolicy({
  name: "encryption-no-plaintext-container-secrets",
  description: "ECS containers must take secret-like values from `secrets`, not plaintext `environment`.",
  severity: "high",
  types: ["aws:ecs/taskDefinition:TaskDefinition"],
  validate: (props, _args, report) => {
    for (const c of containersOf(props)) {
      for (const entry of asArray(c.raw.environment)) {
        const name = asString(asObject(entry)?.name);
        if (name && SECRET_NAME_PATTERN.test(name) && !SECRET_REFERENCE_PATTERN.test(name)) {
          report(
            `Container "${c.label}" sets ${name} in plaintext environment; move it to secrets with valueFrom a Secrets Manager ARN.`,
          );
        }
      }
    }
  },
});
