import { TypeModel, str } from "../model";
import { stableUuid } from "../ids";

/** `registry/repo:tag` → `registry/repo` (a registry port is not a tag). */
function withoutTag(imageName: string): string {
  const slash = imageName.lastIndexOf("/");
  const colon = imageName.lastIndexOf(":");
  return colon > slash ? imageName.slice(0, colon) : imageName;
}

/** Models of the container resources beyond the core ones. */
export const CONTAINER_MODELS: Record<string, TypeModel> = {
  // The docker provider answers with the pushed manifest's digest; the id is that digest reference.
  "docker:index/image:Image": {
    id: (ctx) => `${withoutTag(str(ctx.inputs.imageName))}@sha256:${ctx.hex(64)}`,
    state: (ctx) => {
      const imageName = str(ctx.inputs.imageName);
      const build = (ctx.inputs.build ?? {}) as Record<string, unknown>;
      return {
        imageName,
        baseImageName: imageName,
        repoDigest: `${withoutTag(imageName)}@sha256:${ctx.hex(64)}`,
        registryServer: imageName.split("/")[0],
        context: str(build.context),
        dockerfile: str(build.dockerfile),
        platform: build.platform,
      };
    },
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
    id: (ctx) => str(ctx.inputs.repository),
    state: (ctx) => ({ registryId: ctx.account }),
  },
  "aws:lb/listenerRule:ListenerRule": {
    id: (ctx) =>
      ctx.arn("elasticloadbalancing", `listener-rule/app/${ctx.name}/${ctx.hex(16)}/${ctx.hex(16).slice(8)}`),
    state: (ctx) => ({
      arn: ctx.arn("elasticloadbalancing", `listener-rule/app/${ctx.name}/${ctx.hex(16)}/${ctx.hex(16).slice(8)}`),
    }),
  },
  "aws:appautoscaling/target:Target": {
    id: (ctx) => str(ctx.inputs.resourceId),
    state: (ctx) => ({
      arn: ctx.arn("application-autoscaling", `scalable-target/0ec5${ctx.hex(28)}`),
      roleArn: ctx.arn(
        "iam",
        "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
        { region: "" },
      ),
    }),
  },
  "aws:appautoscaling/policy:Policy": {
    id: (ctx) => str(ctx.inputs.name, ctx.name),
    autoname: { property: "name", maxLength: 255 },
    state: (ctx) => ({
      arn: ctx.arn(
        "autoscaling",
        `scalingPolicy:${stableUuid(ctx.name)}:resource/${str(ctx.inputs.resourceId)}:policyName/${str(ctx.inputs.name)}`,
      ),
      alarmArns: [],
    }),
  },
  "aws:cloudfront/originAccessControl:OriginAccessControl": {
    id: (ctx) => `E${ctx.hex(13).toUpperCase()}`,
    state: (ctx) => ({ etag: `E${ctx.hex(13).toUpperCase()}` }),
  },
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": {
    id: (ctx) => stableUuid(`${ctx.seed}${ctx.name}`),
    autoname: { property: "name", maxLength: 128 },
    state: (ctx) => ({ etag: `E${ctx.hex(13).toUpperCase()}` }),
  },
  // A regional web ACL: arn:<p>:wafv2:<region>:<account>:regional/webacl/<name>/<uuid>, its id the uuid.
  "aws:wafv2/webAcl:WebAcl": {
    id: (ctx) => stableUuid(`${ctx.seed}${ctx.name}`),
    autoname: { property: "name", maxLength: 128 },
    state: (ctx) => ({
      arn: ctx.arn("wafv2", `regional/webacl/${str(ctx.inputs.name)}/${stableUuid(`${ctx.seed}${ctx.name}`)}`),
      lockToken: stableUuid(`${ctx.seed}${ctx.name}lock`),
      capacity: 0,
    }),
  },
  // The provider's id of an association is "<web ACL ARN>,<resource ARN>"; of a logging configuration, the ARN.
  "aws:wafv2/webAclAssociation:WebAclAssociation": {
    id: (ctx) => `${str(ctx.inputs.webAclArn)},${str(ctx.inputs.resourceArn)}`,
  },
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": { id: (ctx) => str(ctx.inputs.resourceArn) },
};
