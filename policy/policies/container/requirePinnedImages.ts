import { containersOf } from "../../lib/containers";
import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/** The tag of an image reference, ignoring a registry port (`host:5000/app` has no tag). */
export function imageTag(image: string): string | undefined {
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
}

/**
 * Protects: reproducible deployments and the supply chain. An image without a tag or with `:latest` changes
 * under a running service; a digest (`@sha256:`) or a specific tag is required. Severity: medium.
 */
export const requirePinnedImages = resourcePolicy({
  name: "container-pinned-images",
  description: "ECS container images must be pinned to a digest or a specific tag.",
  severity: "medium",
  types: ["aws:ecs/taskDefinition:TaskDefinition"],
  validate: (props, _args, report) => {
    for (const c of containersOf(props)) {
      const image = asString(c.raw.image) ?? "";
      if (image.includes("@sha256:")) continue;
      const tag = imageTag(image);
      if (tag === undefined || tag === "" || tag === "latest") {
        report(`Container "${c.label}" image "${image}" is not pinned; use a digest (@sha256:...) or a release tag.`);
      }
    }
  },
});
