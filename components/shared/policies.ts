/**
 * Building blocks of the IAM and resource policy documents the components write. Pure; the components only
 * serialise what these return, and the tests read the documents statement by statement.
 */

export type Statement = Record<string, unknown>;
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: Statement[];
}

export const policyDocument = (statements: Statement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

/**
 * A role only `service` may assume, and only on behalf of resources of this account matching `sourceArn`: the
 * confused-deputy guard (aws:SourceAccount + aws:SourceArn) AWS documents for service roles.
 */
export function serviceTrustPolicy(service: string, account: string, sourceArn: string): PolicyDocument {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnLike: { "aws:SourceArn": sourceArn },
      },
    },
  ]);
}

/**
 * Only ECS tasks may assume the role, and only tasks of this account in this region: ECS passes the task's ARN
 * and account as aws:SourceArn/aws:SourceAccount, the confused-deputy guard AWS documents for task roles.
 */
export function ecsTasksTrustPolicy(partition: string, region: string, account: string): PolicyDocument {
  return serviceTrustPolicy("ecs-tasks.amazonaws.com", account, `arn:${partition}:ecs:${region}:${account}:*`);
}

/** Refuses every request to a bucket and its objects that does not use TLS. */
export function denyInsecureTransport(bucketArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
