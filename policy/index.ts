/**
 * Entry point of the CrossGuard pack (`pulumi preview --policy-pack policy`). Constructing PolicyPack starts the
 * analyzer's gRPC server, so this is the only file that does it and nothing may import it; the offline plan and
 * the tests use policies.ts and run.ts instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  policies,
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  description:
    "Guardrails for the multi-tenant SaaS on AWS: least privilege, encryption, tagging, network exposure, data protection and container hardening.",
  provider: "aws",
  tags: ["aws", "security", "cost"],
});
