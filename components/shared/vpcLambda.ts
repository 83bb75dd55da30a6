import * as pulumi from "@pulumi/pulumi";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Role } from "@pulumi/aws/iam/role";
import { SecurityGroupEgressRule } from "@pulumi/aws/vpc/securityGroupEgressRule";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import { HandlerBundle, lambdaCode } from "./bundle";
import { policyDocument, Statement } from "./policies";

/**
 * What every Lambda function of the stack that runs inside the VPC shares (the tenant provisioner, the usage
 * collector): its security group and rules, its encrypted, expiring log group, its execution role, and the
 * statements its policy always has. Each child is named `<name>-<suffix>` and parented to `parent`, so a
 * component that moves onto these keeps its child names (a public contract).
 */

export interface VpcLambdaNetworkArgs {
  readonly vpcId: pulumi.Input<string>;
  /** The security group's description (what the function may reach). */
  readonly description: string;
  /** Who the rules admit, in their descriptions: "the tenant provisioner". */
  readonly who: string;
  /** The database's security group: the function's egress on 5432 and the database's ingress rule for it. */
  readonly databaseSecurityGroupId: pulumi.Input<string>;
  /**
   * The interface endpoints' security group. Given, HTTPS egress reaches only the endpoints (and S3 through the
   * gateway endpoint); the endpoints get an ingress rule for the function. @default - HTTPS through NAT
   */
  readonly endpointSecurityGroupId?: pulumi.Input<string>;
  /** What the function calls through the endpoints, or through NAT without them: "Secrets Manager". */
  readonly apis: string;
  /** The S3 gateway endpoint's prefix list, and why the function writes to S3: "purge exports". */
  readonly s3?: { readonly prefixListId: pulumi.Input<string>; readonly purpose: string };
  readonly tags: (what: string) => Record<string, string>;
}

export interface VpcLambdaNetwork {
  readonly securityGroup: SecurityGroup;
  /** The rules the function's first call needs: depend on them before invoking it. */
  readonly egressReady: pulumi.Resource[];
}

/**
 * `<name>-sg` and its rules, one TCP port per rule, each a separate resource (the groups refer to each other):
 * `<name>-out-db`, `<name>-db-in`, `<name>-out-https`, `<name>-endpoints-in` (with endpoints), `<name>-out-s3`.
 */
export function vpcLambdaNetwork(parent: pulumi.Resource, name: string, args: VpcLambdaNetworkArgs): VpcLambdaNetwork {
  const child = { parent };
  const sg = new SecurityGroup(
    `${name}-sg`,
    { vpcId: args.vpcId, description: args.description, tags: args.tags("sg") },
    child,
  );
  type Peer =
    { referencedSecurityGroupId: pulumi.Input<string> } | { cidrIpv4: string } | { prefixListId: pulumi.Input<string> };
  const rule = (
    kind: "in" | "out",
    suffix: string,
    group: pulumi.Input<string>,
    port: number,
    peer: Peer,
    description: string,
  ) => {
    const ruleArgs = {
      securityGroupId: group,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      ...peer,
      description,
      tags: args.tags(suffix),
    };
    return kind === "in"
      ? new SecurityGroupIngressRule(`${name}-${suffix}`, ruleArgs, child)
      : new SecurityGroupEgressRule(`${name}-${suffix}`, ruleArgs, child);
  };
  const from = `From ${args.who}`;
  rule("out", "out-db", sg.id, 5432, { referencedSecurityGroupId: args.databaseSecurityGroupId }, "To the database");
  const egressReady: pulumi.Resource[] = [
    rule("in", "db-in", args.databaseSecurityGroupId, 5432, { referencedSecurityGroupId: sg.id }, from),
  ];
  if (args.endpointSecurityGroupId !== undefined) {
    const endpoints = args.endpointSecurityGroupId;
    egressReady.push(
      rule(
        "out",
        "out-https",
        sg.id,
        443,
        { referencedSecurityGroupId: endpoints },
        `To the interface endpoints (${args.apis})`,
      ),
      rule("in", "endpoints-in", endpoints, 443, { referencedSecurityGroupId: sg.id }, from),
    );
  } else {
    egressReady.push(
      rule("out", "out-https", sg.id, 443, { cidrIpv4: "0.0.0.0/0" }, `HTTPS to ${args.apis} through NAT`),
    );
  }
  if (args.s3) {
    egressReady.push(
      rule(
        "out",
        "out-s3",
        sg.id,
        443,
        { prefixListId: args.s3.prefixListId },
        `To S3 through the gateway endpoint (${args.s3.purpose})`,
      ),
    );
  }
  return { securityGroup: sg, egressReady };
}

/**
 * `<name>-logs`: Lambda writes to /aws/lambda/<function>; created here so it is encrypted with the stack key and
 * expires from the start.
 */
export function lambdaLogGroup(
  parent: pulumi.Resource,
  name: string,
  args: {
    readonly functionName: string;
    readonly retentionDays: number;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly tags: Record<string, string>;
  },
): LogGroup {
  return new LogGroup(
    `${name}-logs`,
    {
      name: `/aws/lambda/${args.functionName}`,
      retentionInDays: args.retentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: args.tags,
    },
    { parent },
  );
}

export interface VpcLambdaFunctionArgs {
  readonly functionName: string;
  readonly description: string;
  readonly bundle: Promise<HandlerBundle>;
  readonly roleArn: pulumi.Input<string>;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly logGroup: LogGroup;
  /** The database the function connects to: `DB_HOST`, `DB_PORT`, `DB_NAME`. */
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly name: string;
  };
  /** The function's own variables, after the database's. */
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  readonly tags: Record<string, string>;
  /** Its role's policy: the function is not created before it may do its work. */
  readonly policy: pulumi.Resource;
}

/**
 * `<name>-function`: Node.js 24 on arm64, one execution at a time (every such function of the stack serialises
 * its work: two runs would interleave tenant changes or read the same period), in the private subnets, logging
 * JSON to its own log group, and trusting the RDS CA bundle the Lambda runtime ships.
 */
export function vpcLambdaFunction(parent: pulumi.Resource, name: string, args: VpcLambdaFunctionArgs): LambdaFunction {
  return new LambdaFunction(
    `${name}-function`,
    {
      name: args.functionName,
      description: args.description,
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      ...lambdaCode(args.bundle),
      role: args.roleArn,
      memorySize: args.memorySize,
      timeout: args.timeoutSeconds,
      reservedConcurrentExecutions: 1,
      vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [args.securityGroupId] },
      environment: {
        variables: {
          DB_HOST: args.database.host,
          DB_PORT: pulumi.output(args.database.port).apply(String),
          DB_NAME: args.database.name,
          ...args.environment,
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
      },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: args.logGroup.name,
        applicationLogLevel: "INFO",
        systemLogLevel: "WARN",
      },
      tags: args.tags,
    },
    { parent, dependsOn: [args.logGroup, args.policy] },
  );
}

/** The trust policy of AWS's Lambda execution-role examples. */
export const LAMBDA_TRUST_POLICY = policyDocument([
  { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
]);

/** `<name>-role`: an execution role only Lambda may assume; its permissions are the component's own policy. */
export function lambdaRole(
  parent: pulumi.Resource,
  name: string,
  args: { readonly description: string; readonly tags: Record<string, string> },
): Role {
  return new Role(
    `${name}-role`,
    { assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY), description: args.description, tags: args.tags },
    { parent },
  );
}

/** Writing to its own log group, and nothing else of CloudWatch Logs. */
export function writeOwnLogsStatement(logGroupArn: string): Statement {
  return {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${logGroupArn}:*`,
  };
}

/**
 * What Lambda needs to attach the function to the VPC (the actions of AWS's AWSLambdaVPCAccessExecutionRole);
 * EC2 does not scope these to a resource.
 */
export function attachToVpcStatement(): Statement {
  return {
    Sid: "AttachToVpc",
    Effect: "Allow",
    Action: [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: "*",
  };
}
