/**
 * IAM and resource policy documents of the container service, as pure functions of ARNs: the tests read them
 * statement by statement, and the component only serialises them. The execution role's policy is every task's,
 * in components/shared/fargate.ts.
 */

import { PolicyDocument as Document, denyInsecureTransport, policyDocument as doc } from "../shared/policies";

/**
 * The app's own permissions. The reference app calls no AWS API, so it has none; ECS Exec (dev only) needs the
 * Session Manager channel actions, which IAM does not scope to a resource: sessions are bound to the task by ECS,
 * and `ecs:ExecuteCommand` on the caller's side is what decides who may open one.
 */
export function taskRolePolicy(exec?: {
  readonly logGroupArn: string;
  readonly kmsKeyArn: string;
}): Document | undefined {
  if (!exec) {
    return undefined;
  }
  return doc([
    {
      Sid: "EcsExecChannels",
      Effect: "Allow",
      Action: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: "*",
    },
    {
      // Every exec session is recorded in the service's own log group (the cluster's executeCommandConfiguration).
      Sid: "EcsExecSessionLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [exec.logGroupArn, `${exec.logGroupArn}:*`],
    },
    {
      // The agent checks the destination exists; DescribeLogGroups has no resource-level permissions.
      Sid: "EcsExecFindLogGroup",
      Effect: "Allow",
      Action: "logs:DescribeLogGroups",
      Resource: "*",
    },
    {
      // Sessions are encrypted end to end with the stack key.
      Sid: "EcsExecSessionEncryption",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: exec.kmsKeyArn,
    },
  ]);
}

/**
 * Account of Elastic Load Balancing's log delivery in the regions that opened before August 2022; newer regions
 * accept only the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
};

/** The principal that writes a region's ALB access logs. */
export function elbLogDeliveryPrincipal(partition: string, region: string): Record<string, string> {
  const account = ELB_LOG_ACCOUNTS[region];
  return account
    ? { AWS: `arn:${partition}:iam::${account}:root` }
    : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };
}

/**
 * The access log bucket's policy: the region's log delivery may put objects under this load balancer's prefix
 * of this account and nowhere else, and nobody may use the bucket without TLS.
 */
export function accessLogBucketPolicy(a: {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly bucketArn: string;
  readonly prefix: string;
}): Document {
  return doc([
    {
      Sid: "AllowElbLogDelivery",
      Effect: "Allow",
      Principal: elbLogDeliveryPrincipal(a.partition, a.region),
      Action: "s3:PutObject",
      Resource: `${a.bucketArn}/${a.prefix}/AWSLogs/${a.account}/*`,
    },
    denyInsecureTransport(a.bucketArn),
  ]);
}

/** The repository rules live with the other image building blocks. */
export { ecrLifecyclePolicy } from "../shared/ecrImage";
