import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asString, Props } from "../../lib/props";

/** AWS-managed policies that amount to account administration (or a short step to it). */
export const ADMIN_MANAGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "AdministratorAccess-Amplify",
  "AdministratorAccess-AWSElasticBeanstalk",
  "PowerUserAccess",
  "IAMFullAccess",
  "AWSOrganizationsFullAccess",
  "SecurityAudit-FullAccess",
];

/** Every way IAM lets a managed policy be attached: type → (props → attached ARNs). */
const ATTACHMENTS: Readonly<Record<string, (props: Props) => unknown[]>> = {
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (p) => [p.policyArn],
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": (p) => [p.policyArn],
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": (p) => [p.policyArn],
  "aws:iam/policyAttachment:PolicyAttachment": (p) => [p.policyArn],
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": (p) => asArray(p.policyArns),
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": (p) => asArray(p.policyArns),
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": (p) => asArray(p.policyArns),
  "aws:iam/role:Role": (p) => asArray(p.managedPolicyArns),
  "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": (p) => [p.managedPolicyArn],
};

/** Returns the admin policy name when `arn` is an AWS-managed admin policy in any partition. */
export function adminPolicyName(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match && ADMIN_MANAGED_POLICIES.includes(match[1]) ? match[1] : undefined;
}

/**
 * Protects: least privilege. AWS-managed admin policies grant full control of the account to whatever they are
 * attached to, through attachment resources, exclusive attachment lists or a role's `managedPolicyArns`.
 * Severity: critical.
 */
export const disallowAdminManagedPolicies = resourcePolicy({
  name: "iam-no-admin-managed-policies",
  description: "AWS-managed administrator policies must not be attached to roles, users or groups.",
  severity: "critical",
  types: Object.keys(ATTACHMENTS),
  validate: (props, args, report) => {
    for (const arn of ATTACHMENTS[args.type](props)) {
      const name = adminPolicyName(asString(arn) ?? "");
      if (name)
        report(
          `Attaches the AWS-managed policy ${name}; attach a customer-managed policy with only the actions needed instead.`,
        );
    }
  },
});
