/**
 * Every policy in the pack. Importing this module has no side effects (no PolicyPack, no server): the offline
 * runner and the tests import it; only index.ts hands the list to `new PolicyPack`.
 * tests/policy/policies.test.ts fails when a file under policies/ is missing here.
 */
import type { EnforcementLevel, Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { disallowPrivilegedContainers } from "./policies/container/disallowPrivilegedContainers";
import { requireLogConfiguration } from "./policies/container/requireLogConfiguration";
import { requireNonRootUser } from "./policies/container/requireNonRootUser";
import { requirePinnedImages } from "./policies/container/requirePinnedImages";
import { requireSupportedLambdaRuntime } from "./policies/container/requireSupportedLambdaRuntime";
import { requireEcrImmutableScannedImages } from "./policies/data/requireEcrImmutableScannedImages";
import { requireLogRetention } from "./policies/data/requireLogRetention";
import { requireStateMachineLogging } from "./policies/data/requireStateMachineLogging";
import { requireProdDeletionProtection } from "./policies/data/requireProdDeletionProtection";
import { requireRdsBackups } from "./policies/data/requireRdsBackups";
import { disallowPlaintextContainerSecrets } from "./policies/encryption/disallowPlaintextContainerSecrets";
import { disallowRdsSslOff } from "./policies/encryption/disallowRdsSslOff";
import { requireCloudFrontTls } from "./policies/encryption/requireCloudFrontTls";
import { requireEbsEncryption } from "./policies/encryption/requireEbsEncryption";
import { requireEfsEncryption } from "./policies/encryption/requireEfsEncryption";
import { requireElastiCacheEncryption } from "./policies/encryption/requireElastiCacheEncryption";
import { requireKmsKeyRotation } from "./policies/encryption/requireKmsKeyRotation";
import { requireLogGroupKmsKey } from "./policies/encryption/requireLogGroupKmsKey";
import { requireRdsStorageEncryption } from "./policies/encryption/requireRdsStorageEncryption";
import { requireS3BucketEncryption } from "./policies/encryption/requireS3BucketEncryption";
import { requireSecretKmsKey } from "./policies/encryption/requireSecretKmsKey";
import { requireSnsTopicEncryption } from "./policies/encryption/requireSnsTopicEncryption";
import { requireSqsQueueEncryption } from "./policies/encryption/requireSqsQueueEncryption";
import { requireTlsListeners } from "./policies/encryption/requireTlsListeners";
import { disallowAdminManagedPolicies } from "./policies/iam/disallowAdminManagedPolicies";
import { disallowAllowWithNotElements } from "./policies/iam/disallowAllowWithNotElements";
import { disallowPublicResourcePolicies } from "./policies/iam/disallowPublicResourcePolicies";
import { disallowSensitiveActionsOnAllResources } from "./policies/iam/disallowSensitiveActionsOnAllResources";
import { disallowUserAccessKeys } from "./policies/iam/disallowUserAccessKeys";
import { disallowWildcardActions } from "./policies/iam/disallowWildcardActions";
import { disallowWildcardTrustPrincipal } from "./policies/iam/disallowWildcardTrustPrincipal";
import { requireWebIdentityConditions } from "./policies/iam/requireWebIdentityConditions";
import { disallowPublicIngress } from "./policies/network/disallowPublicIngress";
import { disallowPublicIpOnEcsServices } from "./policies/network/disallowPublicIpOnEcsServices";
import { disallowPublicIpOnInstances } from "./policies/network/disallowPublicIpOnInstances";
import { disallowPublicRds } from "./policies/network/disallowPublicRds";
import { disallowPublicS3Acls } from "./policies/network/disallowPublicS3Acls";
import { requirePublicAccessBlockFlags } from "./policies/network/requirePublicAccessBlockFlags";
import { requireS3PublicAccessBlock } from "./policies/network/requireS3PublicAccessBlock";
import { requireCostTags } from "./policies/tagging/requireCostTags";

/** Name the pack is published under. */
export const PACK_NAME = "saas-guardrails";

/** Default level for every policy that does not set its own: these are security controls. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

export const resourcePolicies: ResourceValidationPolicy[] = [
  disallowPrivilegedContainers,
  requireLogConfiguration,
  requireNonRootUser,
  requirePinnedImages,
  requireSupportedLambdaRuntime,
  requireEcrImmutableScannedImages,
  requireLogRetention,
  requireStateMachineLogging,
  requireProdDeletionProtection,
  requireRdsBackups,
  disallowPlaintextContainerSecrets,
  disallowRdsSslOff,
  requireCloudFrontTls,
  requireEbsEncryption,
  requireEfsEncryption,
  requireElastiCacheEncryption,
  requireKmsKeyRotation,
  requireLogGroupKmsKey,
  requireRdsStorageEncryption,
  requireSecretKmsKey,
  requireSnsTopicEncryption,
  requireSqsQueueEncryption,
  requireTlsListeners,
  disallowAdminManagedPolicies,
  disallowAllowWithNotElements,
  disallowPublicResourcePolicies,
  disallowSensitiveActionsOnAllResources,
  disallowUserAccessKeys,
  disallowWildcardActions,
  disallowWildcardTrustPrincipal,
  requireWebIdentityConditions,
  disallowPublicIngress,
  disallowPublicIpOnEcsServices,
  disallowPublicIpOnInstances,
  disallowPublicRds,
  disallowPublicS3Acls,
  requirePublicAccessBlockFlags,
  requireCostTags,
];

/** Cross-resource checks, evaluated once per stack with validateStack. */
export const stackPolicies: StackValidationPolicy[] = [requireS3BucketEncryption, requireS3PublicAccessBlock];

/** All of them, in the order the engine evaluates them. */
export const policies: Policies = [...resourcePolicies, ...stackPolicies];
