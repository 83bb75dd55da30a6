import { containersOf } from "../../lib/containers";
import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/** `user` values that mean root: the name, UID 0, and UID 0 with any group. */
export function isRootUser(user: string | undefined): boolean {
  if (user === undefined || user.trim() === "") return true;
  const [name] = user.split(":");
  return name === "root" || name === "0";
}

/**
 * Protects: the task from privilege escalation after compromise. A missing `user` runs as the image's user, which
 * is root for most images, so the task definition must name a non-root user. Severity: high.
 */
export const requireNonRootUser = resourcePolicy({
  name: "container-non-root-user",
  description: "ECS containers must run as a non-root user.",
  severity: "high",
  types: ["aws:ecs/taskDefinition:TaskDefinition"],
  validate: (props, _args, report) => {
    for (const c of containersOf(props)) {
      const user = asString(c.raw.user);
      if (isRootUser(user)) {
        report(
          `Container "${c.label}" runs as ${user === undefined ? "the image default user" : `"${user}"`}; set user to a non-root UID such as "1000:1000".`,
        );
      }
    }
  },
});
