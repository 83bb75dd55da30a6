import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";
import { stackNameFor } from "../../lib/stack";

interface Config {
  readonly prodStacks?: readonly string[];
}

/**
 * Protects: production databases from a `pulumi destroy`, a replacement or a console slip. In prod stacks (by
 * name, from config) deletionProtection must be true and skipFinalSnapshot must not be true. The stack name comes
 * from the resource URN (injectable through policy/run.ts). Severity: critical.
 */
export const requireProdDeletionProtection = resourcePolicy<Config>({
  name: "data-rds-deletion-protection",
  description: "Production RDS instances and clusters must have deletion protection and a final snapshot.",
  severity: "critical",
  types: ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"],
  config: {
    prodStacks: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: ["prod"],
      description: "Stack names treated as production.",
    },
  },
  validate: (props, args, report, config) => {
    const stack = stackNameFor(args.urn);
    if (!(config.prodStacks ?? ["prod"]).includes(stack)) return;
    if (!isTrue(props.deletionProtection))
      report(`deletionProtection is not true in stack "${stack}"; set deletionProtection: true.`);
    if (isTrue(props.skipFinalSnapshot))
      report(
        `skipFinalSnapshot is true in stack "${stack}"; set skipFinalSnapshot: false and a finalSnapshotIdentifier.`,
      );
  },
});
