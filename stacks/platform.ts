import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { StackKey } from "../components/kms/stackKey";
import { Network } from "../components/network/network";
import { Database } from "../components/database/database";
import { MigrationTask, resultsBucketPrefix } from "../components/database/migrationTask";
import { FleetMigrator } from "../components/tenant-migrations/fleetMigrator";
import { FleetRunPlan, tenantRunPlan } from "../components/tenant-migrations/waves";
import { ContainerService } from "../components/container-service/containerService";
import { SIGNING_SECRET_VARIABLE, appEnvironment } from "../components/container-service/appEnvironment";
import { SigningSecret } from "../components/container-service/signingSecret";
import { contentImageTag } from "../components/container-service/imageTag";
import { PLATFORMS } from "../components/container-service/fargate";
import { Cdn } from "../components/cdn/cdn";
import { maxConnections, poolEnvironment } from "../components/database/sizing";
import { TenantSchemas } from "../components/tenant-schemas/tenantSchemas";
import { DEFAULT_APP_ROLE, METERING_ROLE, tenantSchemaName } from "../components/tenant-schemas/model";
import { exportBucketPrefix, TenantProvisioner } from "../components/tenant-plane/provisioner";
import { meteringBucketPrefix, UsageCollector } from "../components/tenant-metering/collector";
import { estimatedMonthlyCost } from "./costEstimate";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { policyDocument } from "../components/shared/policies";
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
    availabilityZones: config.network.availabilityZones,
    natGateways: config.network.natGateways,
    appPort: config.service.port,
    flowLogRetentionDays: config.network.flowLogRetentionDays,
    interfaceEndpoints: config.network.interfaceEndpoints,
    sessionManagerEndpoint: config.shellAccess,
    // From the private subnets: the tenant provisioner writes purge exports, the migration runner its batch
    // results, the usage collector metering records.
    s3BucketArns: [
      pulumi.interpolate`arn:${location.partition}:s3:::${exportBucketPrefix(config.namePrefix)}*`,
      pulumi.interpolate`arn:${location.partition}:s3:::${resultsBucketPrefix(config.namePrefix)}*`,
      pulumi.interpolate`arn:${location.partition}:s3:::${meteringBucketPrefix(config.namePrefix)}*`,
    ],
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
    // With interface endpoints the tasks' HTTPS goes to the endpoints and S3 only: no registry outside ECR.
    noInternetEgress: config.network.interfaceEndpoints || config.network.natGateways === "none",
    deletionProtection: config.isProduction,
  });

  // Without an identity provider, the service verifies tokens signed with the stack's own key.
  const auth = config.service.auth;
  const signingSecret =
    auth.keys.kind === "signingSecret"
      ? new SigningSecret("auth-signing-key", {
          context,
          version: auth.keys.version,
          recoveryWindow: config.isProduction,
        })
      : undefined;

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
        {
          build: {
            context: "app",
            dockerfile: "app/Dockerfile",
            // The platform is part of the tag: the same sources build other bytes for another architecture.
            tag: contentImageTag(appDir, { platform: PLATFORMS[config.service.architecture].docker }),
          },
        },
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
    // Where the database is and who logs in (with an IAM token: no password exists), the pool, the token
    // settings; the signing key is the one value that travels through `secrets`.
    extraEnvironment: appEnvironment({
      namePrefix: config.namePrefix,
      region: config.region,
      database: { host: database.endpoint, port: database.port, name: database.databaseName, user: DEFAULT_APP_ROLE },
      auth,
      pool: poolEnvironment(config.database.pool),
    }),
    secrets: signingSecret ? { [SIGNING_SECRET_VARIABLE]: signingSecret.secretArn } : {},
    wafRateLimits: config.service.waf,
    // A shell into a production task bypasses review: off in prod unless saas:breakGlassAccess is switched on for
    // an incident (every session is then logged, encrypted, to the service's log group); in dev it is how
    // problems are looked at.
    enableExecuteCommand: config.shellAccess,
    deletionProtection: config.isProduction,
  });

  const cdn = new Cdn("cdn", {
    context,
    corsAllowedOrigins: config.service.cdn.corsAllowedOrigins,
    certificateArn: config.service.cdn.certificateArn,
    aliases: config.service.cdn.aliases,
    frontendRepository: config.service.cdn.frontendRepository,
    frontendBranch: config.service.cdn.frontendBranch,
    frontendEnvironment: config.service.cdn.frontendEnvironment,
    githubOidcProviderArn: config.service.cdn.githubOidcProviderArn,
    forceDestroy: !config.isProduction,
  });

  // Tenants: the provisioner function applies the tenant model from inside the VPC at every `pulumi up` and
  // verifies isolation. With saas:tenantProvisioning "provider", @pulumi/postgresql resources (retained on
  // delete) apply it first, where every deploy reaches the database; the function still runs after them, to
  // suspend removed tenants and verify. runbooks/tenant-provisioning.md.
  const providerMode = config.database.tenantProvisioning === "provider";
  const tenantSchemas = providerMode
    ? new TenantSchemas("tenants", {
        tenants: config.database.tenants,
        database: config.database.name,
        connection: masterConnection(database, config.database.tunnel),
        createServiceRoles: true,
      })
    : undefined;
  const provisioner = new TenantProvisioner(
    "tenant-provisioner",
    {
      context,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      databaseSecurityGroupId: network.databaseSecurityGroupId,
      endpointSecurityGroupId: network.endpointSecurityGroupId,
      s3PrefixListId: network.s3PrefixListId,
      database: {
        host: database.endpoint,
        port: database.port,
        name: config.database.name,
        masterSecretArn: database.masterSecretArn,
        resourceId: database.resourceId,
      },
      tenants: config.database.tenants,
      logRetentionDays: config.database.logRetentionDays,
      exportRetentionDays: config.database.tenantExportRetentionDays,
      protectExports: config.isProduction,
      ...(database.disasterRecovery ? { exportReplica: database.disasterRecovery } : {}),
    },
    { dependsOn: tenantSchemas ? [tenantSchemas] : [] },
  );

  // The fleet runner: `npm run migrate` starts it; canary first, then waves within the migrator's connections.
  const fleetRun = plannedFleetRun(config);
  const fleet = new FleetMigrator("tenant-migrations", {
    context,
    clusterArn: service.clusterArn,
    taskDefinitionArn: migrations.taskDefinitionArn,
    taskDefinitionFamily: migrations.family,
    containerName: migrations.containerName,
    taskRoleArns: [migrations.executionRoleArn, migrations.taskRoleArn],
    // The database admits the app security group only; the tasks need its endpoint and S3 routes too.
    subnetIds: network.privateSubnetIds,
    securityGroupIds: [network.appSecurityGroupId],
    resultsBucketName: migrations.resultsBucketName,
    resultsBucketArn: migrations.resultsBucketArn,
    // The Map's MaxConcurrency: the plan's, so a wave never holds more Flyway runs than the budget counts.
    concurrency: fleetRun.concurrency,
    logRetentionDays: config.database.logRetentionDays,
    plannedRun: fleetRun,
  });

  // The service logs in as `app` with an IAM token: rds-db:connect on exactly that database user.
  new RolePolicy(
    "service-database-connect",
    {
      role: service.taskRoleArn.apply((arn) => arn.split("/").pop() ?? arn),
      policy: pulumi
        .all([context.partition, context.accountId, database.resourceId])
        .apply(([p, account, resourceId]) =>
          JSON.stringify(
            policyDocument([
              {
                Sid: "ConnectAsApp",
                Effect: "Allow",
                Action: "rds-db:connect",
                Resource: `arn:${p}:rds-db:${config.region}:${account}:dbuser:${resourceId}/${DEFAULT_APP_ROLE}`,
              },
            ]),
          ),
        ),
    },
    { parent: service },
  );

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

  // Per-tenant usage, metrics and metering records, every interval, from inside the VPC (runbooks/tenant-metering.md).
  const metering = new UsageCollector("tenant-metering", {
    context,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    databaseSecurityGroupId: network.databaseSecurityGroupId,
    endpointSecurityGroupId: network.endpointSecurityGroupId,
    s3PrefixListId: network.s3PrefixListId,
    database: {
      host: database.endpoint,
      port: database.port,
      name: config.database.name,
      resourceId: database.resourceId,
      user: METERING_ROLE,
    },
    serviceLogGroupName: service.logGroupName,
    topTenants: config.metering.topTenants,
    intervalMinutes: config.metering.intervalMinutes,
    noisyTenantSharePercent: config.metering.noisyTenantSharePercent,
    recordRetentionDays: config.metering.recordRetentionDays,
    logRetentionDays: config.database.logRetentionDays,
    monthlyCost: config.metering.actualMonthlyCost ?? estimatedMonthlyCost(config.stack),
    alarmTopicArn: alerting.alertTopicArn,
    protectRecords: config.isProduction,
    ...(database.disasterRecovery ? { recordReplica: database.disasterRecovery } : {}),
  });

  return {
    environment: config.environment,
    region: config.region,
    // Visible on every preview and in every `pulumi stack output`: whether the break-glass route is open.
    shellAccess: config.shellAccess,
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
    tenantSchemas: Object.fromEntries(config.database.tenants.map((t) => [t.id, tenantSchemaName(t.id)])),
    tenantProvisionerFunctionName: provisioner.functionName,
    tenantExportBucketName: provisioner.exportBucketName,
    // The function's report of this deploy's apply: created, changed, suspended, orphaned and every check.
    tenantProvisioning: provisioner.result,
    meteringFunctionName: metering.functionName,
    meteringBucketName: metering.recordBucketName,
    meteringMetricNamespace: metering.metricNamespace,
    migrationTaskDefinitionFamily: migrations.family,
    migrationLogGroupName: migrations.logGroupName,
    migrationImageRef: migrations.imageRef,
    migrationResultsBucketName: migrations.resultsBucketName,
    tenantMigrationStateMachineArn: fleet.stateMachineArn,
    // What `npm run migrate` would run for the configured tenants (components/tenant-migrations/waves.ts).
    tenantMigrationWaves: tenantMigrationWaves(fleetRun),
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
    webAclArn: service.webAclArn ?? "",
    wafLogGroupName: service.wafLogGroupName ?? "",
    authSigningSecretName: signingSecret?.secretName ?? "",
    cdnDomainName: cdn.domainName,
    cdnDistributionId: cdn.distributionId,
    assetsBucketName: cdn.bucketName,
    frontendDeployRoleArn: cdn.deployRoleArn ?? "",
    ...alerting,
  } satisfies Record<string, pulumi.Input<unknown>>;
}

/**
 * The fleet run of every configured tenant, as `npm run migrate` would plan it today (`tenantRunPlan`, the same
 * function it uses). Suspended tenants too: their schemas stay, and a resumed tenant must find the shape the
 * service expects.
 */
function plannedFleetRun(config: StackConfig) {
  return tenantRunPlan({
    tenantIds: config.database.tenants.map((t) => t.id),
    canary: config.database.migrationCanary,
    migratorConnections: config.database.migratorConnections,
  });
}

/** The planned run as a short stack output: schemas per batch, batches per wave. */
function tenantMigrationWaves(plan: FleetRunPlan) {
  return {
    concurrency: plan.concurrency,
    batchSize: plan.batchSize,
    canary: plan.canary.map((b) => b.schemas.join(",")),
    waves: plan.waves.map((w) => w.map((b) => b.schemas.join(","))),
  };
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
