import { messagesOf, resource, violationsOf } from "./helpers";

describe("network-no-public-ingress", () => {
  const P = "network-no-public-ingress";
  const SG = "aws:ec2/securityGroup:SecurityGroup";
  const RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
  const VPC_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
  const restrict = "restrict the source to a security group or CIDR, or open only ports 80, 443.";

  it("passes 443/80 from anywhere and any port from a private CIDR", () => {
    expect(
      messagesOf(
        P,
        resource(SG, {
          ingress: [
            { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
            { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/16"] },
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(RULE, {
          type: "ingress",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: ["0.0.0.0/0"],
          securityGroupId: "sg",
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(RULE, {
          type: "egress",
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ["0.0.0.0/0"],
          securityGroupId: "sg",
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(VPC_RULE, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv6: "::/0", securityGroupId: "sg" }),
      ),
    ).toEqual([]);
  });
  it("flags inline ingress (IPv4 and IPv6)", () => {
    expect(
      messagesOf(
        P,
        resource(SG, { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }),
      ),
    ).toEqual([`ingress[0] opens port 22 to 0.0.0.0/0; ${restrict}`]);
    expect(
      messagesOf(
        P,
        resource(SG, { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6CidrBlocks: ["::/0"] }] }),
      ),
    ).toEqual([`ingress[0] opens port 5432 to ::/0; ${restrict}`]);
  });
  it("flags the default security group's inline ingress", () => {
    const props = {
      vpcId: "v",
      ingress: [{ protocol: "tcp", fromPort: 3389, toPort: 3389, cidrBlocks: ["0.0.0.0/0"] }],
    };
    expect(messagesOf(P, resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", props))).toEqual([
      `ingress[0] opens port 3389 to 0.0.0.0/0; ${restrict}`,
    ]);
  });
  it("flags securityGroupRule ranges that include a non-allowed port", () => {
    expect(
      messagesOf(
        P,
        resource(RULE, {
          type: "ingress",
          protocol: "tcp",
          fromPort: 80,
          toPort: 443,
          cidrBlocks: ["0.0.0.0/0"],
          securityGroupId: "sg",
        }),
      ),
    ).toEqual([`rule opens ports 80-443 to 0.0.0.0/0; ${restrict}`]);
  });
  it("flags protocol -1 in every form", () => {
    expect(
      messagesOf(
        P,
        resource(RULE, {
          type: "ingress",
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          ipv6CidrBlocks: ["::/0"],
          securityGroupId: "sg",
        }),
      ),
    ).toEqual([`rule opens all ports to ::/0; ${restrict}`]);
    expect(
      messagesOf(P, resource(VPC_RULE, { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", securityGroupId: "sg" })),
    ).toEqual([`rule opens all ports to 0.0.0.0/0; ${restrict}`]);
    expect(
      messagesOf(
        P,
        resource(SG, {
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
        }),
      ),
    ).toEqual([`ingress[0] opens all ports to 0.0.0.0/0 and ::/0; ${restrict}`]);
  });
  it("flags vpc ingress rule on a non-allowed port over IPv6 and honours allowedPublicPorts", () => {
    const ssh = resource(VPC_RULE, {
      ipProtocol: "tcp",
      fromPort: 22,
      toPort: 22,
      cidrIpv6: "::/0",
      securityGroupId: "sg",
    });
    expect(messagesOf(P, ssh)).toEqual([`rule opens port 22 to ::/0; ${restrict}`]);
    expect(messagesOf(P, ssh, "dev", { [P]: { allowedPublicPorts: [22] } })).toEqual([]);
  });
});

describe("network-no-public-rds", () => {
  it.each(["aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"])(
    "passes private and flags public %s",
    (type) => {
      expect(messagesOf("network-no-public-rds", resource(type, { publiclyAccessible: false }))).toEqual([]);
      expect(messagesOf("network-no-public-rds", resource(type, { publiclyAccessible: true }))).toEqual([
        "publiclyAccessible is true; set publiclyAccessible: false.",
      ]);
    },
  );
});

describe("network-no-public-s3-acls", () => {
  const P = "network-no-public-s3-acls";
  it("passes private ACLs", () => {
    expect(messagesOf(P, resource("aws:s3/bucketAclV2:BucketAclV2", { bucket: "b", acl: "private" }))).toEqual([]);
  });
  it.each([
    ["aws:s3/bucketAclV2:BucketAclV2", "public-read"],
    ["aws:s3/bucketAcl:BucketAcl", "public-read-write"],
    ["aws:s3/bucket:Bucket", "authenticated-read"],
    ["aws:s3/bucketObjectv2:BucketObjectv2", "public-read"],
  ])("flags %s acl %s", (type, acl) => {
    expect(messagesOf(P, resource(type, { bucket: "b", acl }))).toEqual([
      `acl is "${acl}"; use "private" and grant access through IAM or CloudFront OAC.`,
    ]);
  });
  it("flags a grant to AllUsers", () => {
    const props = {
      bucket: "b",
      accessControlPolicy: {
        owner: { id: "o" },
        grants: [
          { permission: "READ", grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" } },
        ],
      },
    };
    expect(messagesOf(P, resource("aws:s3/bucketAclV2:BucketAclV2", props))).toEqual([
      "A grant gives access to AllUsers; remove the grant.",
    ]);
  });
});

describe("network-s3-public-access-block-flags", () => {
  const P = "network-s3-public-access-block-flags";
  const all = {
    bucket: "b",
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  };
  it("passes all four flags", () =>
    expect(messagesOf(P, resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", all))).toEqual([]));
  it.each(["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])(
    "flags %s false",
    (flag) => {
      expect(
        messagesOf(P, resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { ...all, [flag]: false })),
      ).toEqual([`${flag} is not true; set all four public access block flags to true.`]);
    },
  );
  it("flags the account-level block too", () => {
    expect(
      messagesOf(P, resource("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", { blockPublicAcls: true })),
    ).toEqual([
      "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets are not true; set all four public access block flags to true.",
    ]);
  });
});

describe("network-s3-public-access-block-present (stack)", () => {
  const P = "network-s3-public-access-block-present";
  const bucket = resource("aws:s3/bucketV2:BucketV2", {}, { name: "logs" });
  const flags = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
  it("passes a bucket with a linked block, or an account-level block", () => {
    const pab = resource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      { bucket: "logs-123", ...flags },
      { name: "logs-pab", dependencies: [bucket.urn] },
    );
    expect(messagesOf(P, [bucket, pab])).toEqual([]);
    expect(
      messagesOf(P, [
        bucket,
        resource("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", flags, { name: "account" }),
      ]),
    ).toEqual([]);
  });
  it("flags a bucket without one", () => {
    expect(messagesOf(P, [bucket])).toEqual([
      "Bucket has no public access block; add an aws.s3.BucketPublicAccessBlock for it with all four flags true.",
    ]);
  });
});

describe("network-no-public-ip-ecs", () => {
  it("passes private tasks and flags assignPublicIp", () => {
    const P = "network-no-public-ip-ecs";
    expect(
      messagesOf(
        P,
        resource("aws:ecs/service:Service", { networkConfiguration: { subnets: ["s"], assignPublicIp: false } }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:ecs/service:Service", { networkConfiguration: { subnets: ["s"], assignPublicIp: true } }),
      ),
    ).toEqual(["networkConfiguration.assignPublicIp is true; set it to false and run tasks in private subnets."]);
  });
});

describe("network-no-public-ip-ec2", () => {
  const P = "network-no-public-ip-ec2";
  it("passes instances without public IPs", () => {
    expect(
      messagesOf(
        P,
        resource("aws:ec2/instance:Instance", {
          associatePublicIpAddress: false,
          rootBlockDevice: { encrypted: true },
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:ec2/launchTemplate:LaunchTemplate", {
          networkInterfaces: [{ associatePublicIpAddress: "false" }],
        }),
      ),
    ).toEqual([]);
  });
  it("flags instances and launch templates (string boolean)", () => {
    expect(messagesOf(P, resource("aws:ec2/instance:Instance", { associatePublicIpAddress: true }))).toEqual([
      "associatePublicIpAddress is true; set it to false and use a private subnet.",
    ]);
    expect(
      messagesOf(
        P,
        resource("aws:ec2/launchTemplate:LaunchTemplate", {
          networkInterfaces: [{ associatePublicIpAddress: "true" }],
        }),
      ),
    ).toEqual(['networkInterfaces[0].associatePublicIpAddress is true; set it to "false" and use a private subnet.']);
  });
});

describe("network-alb-waf", () => {
  const P = "network-alb-waf";
  const LB = "aws:lb/loadBalancer:LoadBalancer";
  const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";
  const ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/saas-dev-alb/50dc6c495c0c9188";
  const ACL_ARN =
    "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/saas-dev-alb/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
  const message =
    "Internet-facing load balancer has no WAF web ACL; add an aws.wafv2.WebAclAssociation of a REGIONAL web ACL with resourceArn set to its ARN.";
  const alb = (props: Record<string, unknown> = {}, name = "alb") =>
    resource(LB, { loadBalancerType: "application", internal: false, arn: ALB_ARN, ...props }, { name });
  const association = (props: Record<string, unknown> = {}, dependencies: string[] = []) =>
    resource(ASSOCIATION, { resourceArn: ALB_ARN, webAclArn: ACL_ARN, ...props }, { name: "waf", dependencies });

  it("passes an internet-facing ALB with an association naming its ARN, or depending on it", () => {
    expect(messagesOf(P, [alb(), association()])).toEqual([]);
    expect(messagesOf(P, [alb(), association({ resourceArn: "unknown-at-preview" }, [alb().urn])])).toEqual([]);
  });

  it("passes the type's defaults when an association is present (application, internet-facing)", () => {
    expect(messagesOf(P, [resource(LB, { arn: ALB_ARN }, { name: "alb" }), association()])).toEqual([]);
  });

  it("flags an internet-facing ALB without an association", () => {
    expect(violationsOf(P, [alb()]).map((v) => [v.message, v.urn])).toEqual([[message, alb().urn]]);
  });

  it("flags an ALB whose only association points at another load balancer", () => {
    expect(messagesOf(P, [alb(), association({ resourceArn: ALB_ARN.replace("50dc", "ffff") })])).toEqual([message]);
  });

  it("flags an ALB declared through the aws.alb alias too", () => {
    expect(messagesOf(P, [resource("aws:alb/loadBalancer:LoadBalancer", { arn: ALB_ARN })])).toEqual([message]);
  });

  it("does not check internal ALBs or network load balancers", () => {
    expect(messagesOf(P, [alb({ internal: true })])).toEqual([]);
    expect(messagesOf(P, [alb({ loadBalancerType: "network" })])).toEqual([]);
  });
});
