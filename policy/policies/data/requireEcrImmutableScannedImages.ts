import { resourcePolicy } from "../../lib/definePolicy";
import { asObject, asString, isTrue } from "../../lib/props";

/**
 * Protects: the supply chain. Mutable tags let a pushed image silently replace what a task definition pins;
 * scan-on-push catches known CVEs before deployment. The provider default for both is off. Severity: medium.
 */
export const requireEcrImmutableScannedImages = resourcePolicy({
  name: "data-ecr-immutable-scanned",
  description: "ECR repositories must have immutable tags and scan on push.",
  severity: "medium",
  types: ["aws:ecr/repository:Repository"],
  validate: (props, _args, report) => {
    const mutability = asString(props.imageTagMutability) ?? "MUTABLE";
    if (!mutability.startsWith("IMMUTABLE"))
      report(`imageTagMutability is ${mutability}; set imageTagMutability: "IMMUTABLE".`);
    if (!isTrue(asObject(props.imageScanningConfiguration)?.scanOnPush)) {
      report("imageScanningConfiguration.scanOnPush is not true; set scanOnPush: true.");
    }
  },
});
