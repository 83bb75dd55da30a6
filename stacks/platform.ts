import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { StackKey } from "../components/kms/stackKey";
import { Network } from "../components/network/network";
import { Database } from "../components/database/database";
import { MigrationTask } from "../components/database/migrationTask";
import { ContainerService } from "../components/container-service/containerService";
import { contentImageTag } from "../components/container-service/imageTag";
import { Cdn } from "../components/cdn/cdn";
import { maxConnections, poolEnvironment } from "../components/database/sizing";
import { TenantSchemas } from "../components/tenant-schemas/tenantSchemas";
import { tenantSchemaName } from "../components/tenant-schemas/model";
import { ALERT_PUBLISHERS } from "../components/monitoring/alerting";
import { getSecretVersionOutput } from "@pulumi/aws/secretsmanager/getSecretVersion";
import { StackLocation, withStackKey } from "../components/shared/context";
import { StackConfig } from "./config";
import { monitoring } from "./monitoring";

/**
 * The composition: wires the components for one stack from its validated config and returns the stack outputs.
 * Components never read config; everything they need arrives here as typed arguments.
 */
export function platform(config: StackConfig) {
  // Where the stack lives, looked up once; with the stack key below it is every component's StackContext.
  const location: StackLocation = {
    namePrefix: config.namePrefix,
    region: config.region,
    accountId: getCallerIdentityOutput().accountId,
    partition: getPartitionOutput().partition,
  };

  const key = new StackKey(
    "stack-key",
    {
      context: location,
      // CloudFront reads the SSE-KMS assets through OAC; CloudFront log delivery writes SSE-KMS log objects.
      // CloudWatch alarms, Budgets and Cost Anomaly Detection publish to the encrypted alert topic.
      servicePrincipals: ["cloudfront.amazonaws.com", "delivery.logs.amazonaws.com", ...ALERT_PUBLISHERS],
    },
    // Every encrypted store and snapshot of the stack depends on this key: in prod Pulumi may never delete it.
    { protect: config.isProduction },
  );
  const context = withStackKey(location, key.keyArn);

  const network = new Network("network", {
    context,
    vpcCidr: config.network.vpcCidr,
    azCount: config.network.azCount,
    natGateways: config.network.natGateways,
    appPort: config.service.port,
    flowLogRetentionDays: config.network.flowLogRetentionDays,
    interfaceEndpoints: config.network.interfaceEndpoints,
  });

  const database = new Database("database", {
    context,
    isolatedSubnetIds: network.isolatedSubnetIds,
    securityGroupId: network.databaseSecurityGroupId,
    databaseName: config.database.name,
    instanceClass: config.database.instanceClass,
    allocatedStorageGiB: config.database.allocatedStorageGiB,
    maxAllocatedStorageGiB: config.database.maxAllocatedStorageGiB,
    multiAz: config.database.multiAz,
    backupRetentionDays: config.database.backupRetentionDays,
    backupWindow: config.database.backupWindow,
    maintenanceWindow: config.database.maintenanceWindow,
    // Production keeps its data through a destroy; a disposable stack goes away whole.
    deletionProtection: config.isProduction,
    skipFinalSnapshot: !config.isProduction,
    logRetentionDays: config.database.logRetentionDays,
    performanceInsightsRetentionDays: config.database.performanceInsightsRetentionDays,
    backupReplica: config.database.backupReplica,
    providerDefaultTags: config.tags,
  });

  const migrations = new MigrationTask("migrations", {
    context,
    databaseEndpoint: database.endpoint,
    databasePort: database.port,
    databaseName: database.databaseName,
    migratorSecretArn: database.migratorSecretArn,
    logRetentionDays: config.database.logRetentionDays,
    image: config.database.migrationImage,
  });

  const appDir = path.join(__dirname, "..", "app");
  const service = new ContainerService("service", {
    context,
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    loadBalancerSecurityGroupId: network.loadBalancerSecurityGroupId,
    appSecurityGroupId: network.appSecurityGroupId,
    image: config.service.image
      ? { uri: config.service.image }
      : // Relative to the project folder (where Pulumi runs the program), so state is the same on every machine.
        { build: { context: "app", dockerfile: "app/Dockerfile", tag: contentImageTag(appDir) } },
    architecture: config.service.architecture,
    cpu: config.service.cpu,
    memory: config.service.memory,
    port: config.service.port,
    desiredCount: config.service.desiredCount,
    minCount: config.service.minCount,
    maxCount: config.service.maxCount,
    logRetentionDays: config.service.logRetentionDays,
    certificateArn: config.service.certificateArn,
    requestsPerTarget: config.service.requestsPerTarget,
    // The pool settings are plain, known values; the connection itself (host, credentials) reaches the task
    // through secrets, never through the environment.
    extraEnvironment: Object.fromEntries(poolEnvironment(config.database.pool).map((v) => [v.name, v.value])),
    // A shell into a production task bypasses review; in dev it is how problems are looked at.
    enableExecuteCommand: !config.isProduction,
    deletionProtection: config.isProduction,
  });

  const cdn = new Cdn("cdn", {
    context,
    corsAllowedOrigins: config.service.cdn.corsAllowedOrigins,
    certificateArn: config.service.cdn.certificateArn,
    aliases: config.service.cdn.aliases,
    frontendRepository: config.service.cdn.frontendRepository,
    frontendBranch: config.service.cdn.frontendBranch,
    githubOidcProviderArn: config.service.cdn.githubOidcProviderArn,
    forceDestroy: !config.isProduction,
  });

  // Tenant roles, schemas and grants, through the master user whose password RDS keeps in Secrets Manager (so
  // the password passes through Pulumi state, encrypted as a secret). The database is private: only a deploy
  // that always reaches it (a runner in the VPC, or an SSM port forward and saas:databaseTunnelHost/Port) may
  // turn this on; otherwise a DBA applies `npm run tenants:sql` through the tunnel (runbooks/database-connect.md).
  // Turning it off on a stack that has it on deletes the grants: see runbooks/tenant-onboarding.md first.
  const tenants = config.database.manageTenants
    ? new TenantSchemas("tenants", {
        tenants: config.database.tenants,
        database: config.database.name,
        connection: masterConnection(database, config.database.tunnel),
        createServiceRoles: true,
      })
    : undefined;

  const alerting = monitoring(config, context, {
    loadBalancerArnSuffix: service.albArnSuffix,
    targetGroupArnSuffix: service.targetGroupArnSuffix,
    clusterName: service.clusterName,
    serviceName: service.serviceName,
    serviceLogGroupName: service.logGroupName,
    minTaskCount: service.minCount,
    databaseInstanceId: database.instanceId,
    databaseMaxConnections: maxConnections(config.database.instanceClass),
  });

  return {
    environment: config.environment,
    region: config.region,
    vpcId: network.vpcId,
    availabilityZones: network.availabilityZones,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    isolatedSubnetIds: network.isolatedSubnetIds,
    loadBalancerSecurityGroupId: network.loadBalancerSecurityGroupId,
    appSecurityGroupId: network.appSecurityGroupId,
    databaseSecurityGroupId: network.databaseSecurityGroupId,
    natGatewayIds: network.natGatewayIds,
    flowLogGroupName: network.flowLogGroupName,
    kmsKeyArn: key.keyArn,
    kmsKeyAlias: key.aliasName,
    databaseEndpoint: database.endpoint,
    databasePort: database.port,
    databaseInstanceId: database.instanceId,
    databaseArn: database.arn,
    databaseResourceId: database.resourceId,
    databaseName: database.databaseName,
    masterSecretArn: database.masterSecretArn,
    migratorSecretArn: database.migratorSecretArn,
    parameterGroupName: database.parameterGroupName,
    ...(database.backupReplicationArn ? { databaseBackupReplicationArn: database.backupReplicationArn } : {}),
    databaseBackupReplicaRegion: config.database.backupReplica?.region ?? "",
    tenantSchemas: tenants
      ? tenants.schemaNames
      : Object.fromEntries(config.database.tenants.map((t) => [t.id, tenantSchemaName(t.id)])),
    migrationTaskDefinitionFamily: migrations.family,
    migrationLogGroupName: migrations.logGroupName,
    serviceName: service.serviceName,
    clusterName: service.clusterName,
    albDnsName: service.albDnsName,
    albArnSuffix: service.albArnSuffix,
    targetGroupArnSuffix: service.targetGroupArnSuffix,
    repositoryUrl: service.repositoryUrl,
    imageRef: service.imageRef,
    logGroupName: service.logGroupName,
    taskDefinitionFamily: service.taskDefinitionFamily,
    executionRoleArn: service.executionRoleArn,
    taskRoleArn: service.taskRoleArn,
    serviceMinCount: service.minCount,
    serviceMaxCount: service.maxCount,
    albAccessLogBucketName: service.accessLogBucketName ?? "",
    cdnDomainName: cdn.domainName,
    cdnDistributionId: cdn.distributionId,
    assetsBucketName: cdn.bucketName,
    frontendDeployRoleArn: cdn.deployRoleArn ?? "",
    ...alerting,
  } satisfies Record<string, pulumi.Input<unknown>>;
}

/** The RDS master user's credentials from its managed secret, and where to reach the instance. */
function masterConnection(database: Database, tunnel: StackConfig["database"]["tunnel"]) {
  const secret = getSecretVersionOutput({ secretId: database.masterSecretArn });
  const credentials = pulumi.secret(
    secret.secretString.apply((text) => JSON.parse(text) as { username: string; password: string }),
  );
  return {
    host: tunnel?.host ?? database.endpoint,
    port: tunnel?.port ?? database.port,
    username: credentials.apply((c) => c.username),
    password: credentials.apply((c) => c.password),
  };
}
