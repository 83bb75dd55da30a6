import { TypeModel, ec2Id, str, withEc2Arn } from "../model";
import { stableUuid } from "../ids";

/** Models of the resource types the program creates. Anything else gets a generic id and ARN. */
export const CORE_MODELS: Record<string, TypeModel> = {
  "aws:ec2/vpc:Vpc": {
    id: ec2Id("vpc"),
    state: (ctx) => {
      const id = ec2Id("vpc")(ctx);
      return {
        arn: ctx.arn("ec2", `vpc/${id}`),
        defaultSecurityGroupId: `sg-${ctx.hex(17).slice(1)}0`,
        defaultRouteTableId: `rtb-${ctx.hex(17).slice(1)}0`,
        mainRouteTableId: `rtb-${ctx.hex(17).slice(1)}0`,
        defaultNetworkAclId: `acl-${ctx.hex(17)}`,
        ownerId: ctx.account,
        instanceTenancy: "default",
      };
    },
  },
  "aws:ec2/subnet:Subnet": {
    id: ec2Id("subnet"),
    state: (ctx) => ({
      arn: ctx.arn("ec2", `subnet/${ec2Id("subnet")(ctx)}`),
      availabilityZoneId: `use1-az${(parseInt(ctx.hex(2), 16) % 6) + 1}`,
      ownerId: ctx.account,
    }),
  },
  "aws:ec2/internetGateway:InternetGateway": withEc2Arn("igw", "internet-gateway"),
  "aws:ec2/routeTable:RouteTable": withEc2Arn("rtb", "route-table"),
  "aws:ec2/route:Route": { id: (ctx) => `r-${str(ctx.inputs.routeTableId)}1080289494` },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": { id: ec2Id("rtbassoc") },
  "aws:ec2/eip:Eip": {
    id: ec2Id("eipalloc"),
    state: (ctx) => ({
      allocationId: ec2Id("eipalloc")(ctx),
      // TEST-NET-3 (RFC 5737): documentation addresses, never routable.
      publicIp: `203.0.113.${parseInt(ctx.hex(2), 16) % 254 || 1}`,
      arn: ctx.arn("ec2", `elastic-ip/${ec2Id("eipalloc")(ctx)}`),
    }),
  },
  "aws:ec2/natGateway:NatGateway": {
    id: ec2Id("nat"),
    state: (ctx) => ({ connectivityType: "public", privateIp: "10.0.0.10", networkInterfaceId: ec2Id("eni")(ctx) }),
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    id: ec2Id("sg"),
    autoname: { property: "name", maxLength: 255 },
    state: (ctx) => ({ arn: ctx.arn("ec2", `security-group/${ec2Id("sg")(ctx)}`), ownerId: ctx.account }),
  },
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
    id: ec2Id("sg"),
    state: (ctx) => ({ arn: ctx.arn("ec2", `security-group/${ec2Id("sg")(ctx)}`), name: "default" }),
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    id: ec2Id("sgr"),
    state: (ctx) => ({ arn: ctx.arn("ec2", `security-group-rule/${ec2Id("sgr")(ctx)}`) }),
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    id: ec2Id("sgr"),
    state: (ctx) => ({ arn: ctx.arn("ec2", `security-group-rule/${ec2Id("sgr")(ctx)}`) }),
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    id: ec2Id("vpce"),
    state: (ctx) => {
      const id = ec2Id("vpce")(ctx);
      const gateway = ctx.inputs.vpcEndpointType === "Gateway";
      return {
        arn: ctx.arn("ec2", `vpc-endpoint/${id}`),
        prefixListId: gateway ? `pl-${ctx.hex(8)}` : undefined,
        dnsEntries: gateway
          ? []
          : [
              {
                dnsName: `${id}.${str(ctx.inputs.serviceName).split(".").slice(3).join(".")}.${ctx.region}.vpce.amazonaws.com`,
                hostedZoneId: "Z7HUB22UULQXV",
              },
            ],
        state: "available",
        ownerId: ctx.account,
      };
    },
  },
  "aws:ec2/flowLog:FlowLog": withEc2Arn("fl", "vpc-flow-log"),
  "aws:cloudwatch/logGroup:LogGroup": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 512 },
    state: (ctx) => ({ arn: ctx.arn("logs", `log-group:${str(ctx.inputs.name)}`) }),
  },
  "aws:iam/role:Role": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 64 },
    state: (ctx) => ({
      arn: ctx.arn("iam", `role${str(ctx.inputs.path, "/")}${str(ctx.inputs.name)}`, { region: "" }),
      uniqueId: `AROA${ctx.hex(17).toUpperCase()}`,
      createDate: "2026-01-01T00:00:00Z",
    }),
  },
  "aws:iam/policy:Policy": {
    id: (ctx) => ctx.arn("iam", `policy${str(ctx.inputs.path, "/")}${str(ctx.inputs.name)}`, { region: "" }),
    autoname: { property: "name", maxLength: 128 },
    state: (ctx) => ({
      arn: ctx.arn("iam", `policy${str(ctx.inputs.path, "/")}${str(ctx.inputs.name)}`, { region: "" }),
      policyId: `ANPA${ctx.hex(17).toUpperCase()}`,
    }),
  },
  "aws:iam/rolePolicy:RolePolicy": {
    id: (ctx) => `${str(ctx.inputs.role)}:${str(ctx.inputs.name)}`,
    autoname: { property: "name", maxLength: 128 },
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    id: (ctx) => `${str(ctx.inputs.role)}-${ctx.hex(8)}`,
  },
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
    id: (ctx) => ctx.arn("iam", `oidc-provider/${str(ctx.inputs.url).replace(/^https:\/\//, "")}`, { region: "" }),
    state: (ctx) => ({
      arn: ctx.arn("iam", `oidc-provider/${str(ctx.inputs.url).replace(/^https:\/\//, "")}`, { region: "" }),
    }),
  },
  "aws:kms/key:Key": {
    id: (ctx) => stableUuid(`${ctx.seed}${ctx.name}`),
    state: (ctx) => ({
      keyId: stableUuid(`${ctx.seed}${ctx.name}`),
      arn: ctx.arn("kms", `key/${stableUuid(`${ctx.seed}${ctx.name}`)}`),
      keyUsage: ctx.inputs.keyUsage ?? "ENCRYPT_DECRYPT",
      customerMasterKeySpec: ctx.inputs.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT",
      isEnabled: true,
    }),
  },
  "aws:kms/alias:Alias": {
    id: (ctx) => str(ctx.inputs.name),
    state: (ctx) => ({
      arn: ctx.arn("kms", str(ctx.inputs.name)),
      targetKeyArn: ctx.arn("kms", `key/${str(ctx.inputs.targetKeyId)}`),
    }),
  },
  "aws:s3/bucket:Bucket": {
    id: (ctx) => str(ctx.inputs.bucket),
    autoname: { property: "bucket", maxLength: 63, lowercase: true },
    state: (ctx) => ({
      arn: `arn:${ctx.partition}:s3:::${str(ctx.inputs.bucket)}`,
      bucketDomainName: `${str(ctx.inputs.bucket)}.s3.amazonaws.com`,
      bucketRegionalDomainName: `${str(ctx.inputs.bucket)}.s3.${ctx.region}.amazonaws.com`,
      region: ctx.region,
      hostedZoneId: "Z3AQBSTGFYJSTF",
    }),
  },
  "aws:sns/topic:Topic": {
    id: (ctx) => ctx.arn("sns", str(ctx.inputs.name)),
    autoname: { property: "name", maxLength: 256 },
    state: (ctx) => ({ arn: ctx.arn("sns", str(ctx.inputs.name)), owner: ctx.account }),
  },
  "aws:secretsmanager/secret:Secret": {
    id: (ctx) => ctx.arn("secretsmanager", `secret:${str(ctx.inputs.name)}-${ctx.hex(6)}`),
    autoname: { property: "name", maxLength: 512 },
    state: (ctx) => ({ arn: ctx.arn("secretsmanager", `secret:${str(ctx.inputs.name)}-${ctx.hex(6)}`) }),
  },
  "aws:ecr/repository:Repository": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 256, lowercase: true },
    state: (ctx) => ({
      arn: ctx.arn("ecr", `repository/${str(ctx.inputs.name)}`),
      registryId: ctx.account,
      repositoryUrl: `${ctx.account}.dkr.ecr.${ctx.region}.amazonaws.com/${str(ctx.inputs.name)}`,
    }),
  },
  "aws:ecs/cluster:Cluster": {
    id: (ctx) => ctx.arn("ecs", `cluster/${str(ctx.inputs.name)}`),
    autoname: { property: "name", maxLength: 255 },
    state: (ctx) => ({ arn: ctx.arn("ecs", `cluster/${str(ctx.inputs.name)}`) }),
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    id: (ctx) => str(ctx.inputs.family),
    state: (ctx) => ({
      arn: ctx.arn("ecs", `task-definition/${str(ctx.inputs.family)}:1`),
      arnWithoutRevision: ctx.arn("ecs", `task-definition/${str(ctx.inputs.family)}`),
      revision: 1,
    }),
  },
  "aws:ecs/service:Service": {
    id: (ctx) => ctx.arn("ecs", `service/${str(ctx.inputs.cluster).split("/").pop()}/${str(ctx.inputs.name)}`),
    autoname: { property: "name", maxLength: 255 },
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    id: (ctx) => ctx.arn("elasticloadbalancing", `loadbalancer/app/${str(ctx.inputs.name)}/${ctx.hex(16)}`),
    autoname: { property: "name", maxLength: 32 },
    state: (ctx) => ({
      arn: ctx.arn("elasticloadbalancing", `loadbalancer/app/${str(ctx.inputs.name)}/${ctx.hex(16)}`),
      arnSuffix: `app/${str(ctx.inputs.name)}/${ctx.hex(16)}`,
      dnsName: `${str(ctx.inputs.name)}-${parseInt(ctx.hex(8), 16)}.${ctx.region}.elb.amazonaws.com`,
      zoneId: "Z35SXDOTRQ7X7K",
    }),
  },
  "aws:lb/targetGroup:TargetGroup": {
    id: (ctx) => ctx.arn("elasticloadbalancing", `targetgroup/${str(ctx.inputs.name)}/${ctx.hex(16)}`),
    autoname: { property: "name", maxLength: 32 },
    state: (ctx) => ({
      arn: ctx.arn("elasticloadbalancing", `targetgroup/${str(ctx.inputs.name)}/${ctx.hex(16)}`),
      arnSuffix: `targetgroup/${str(ctx.inputs.name)}/${ctx.hex(16)}`,
    }),
  },
  "aws:lb/listener:Listener": {
    id: (ctx) => ctx.arn("elasticloadbalancing", `listener/app/${ctx.name}/${ctx.hex(16)}/${ctx.hex(16).slice(8)}`),
    state: (ctx) => ({
      arn: ctx.arn("elasticloadbalancing", `listener/app/${ctx.name}/${ctx.hex(16)}/${ctx.hex(16).slice(8)}`),
    }),
  },
  "aws:rds/instance:Instance": {
    id: (ctx) => `db-${ctx.hex(26).toUpperCase()}`,
    autoname: { property: "identifier", maxLength: 63, lowercase: true },
    state: (ctx) => ({
      arn: ctx.arn("rds", `db:${str(ctx.inputs.identifier)}`),
      resourceId: `db-${ctx.hex(26).toUpperCase()}`,
      address: `${str(ctx.inputs.identifier)}.${ctx.hex(12)}.${ctx.region}.rds.amazonaws.com`,
      endpoint: `${str(ctx.inputs.identifier)}.${ctx.hex(12)}.${ctx.region}.rds.amazonaws.com:5432`,
      port: ctx.inputs.port ?? 5432,
      masterUserSecrets: ctx.inputs.manageMasterUserPassword
        ? [
            {
              secretArn: ctx.arn("secretsmanager", `secret:rds!db-${stableUuid(ctx.name)}-${ctx.hex(6)}`),
              secretStatus: "active",
              kmsKeyId: ctx.inputs.masterUserSecretKmsKeyId,
            },
          ]
        : [],
    }),
  },
  "aws:cloudfront/distribution:Distribution": {
    id: (ctx) => `E${ctx.hex(13).toUpperCase()}`,
    state: (ctx) => ({
      arn: `arn:${ctx.partition}:cloudfront::${ctx.account}:distribution/E${ctx.hex(13).toUpperCase()}`,
      domainName: `d${ctx.hex(13)}.cloudfront.net`,
      hostedZoneId: "Z2FDTNDATAQYW2",
      status: "Deployed",
    }),
  },
};
