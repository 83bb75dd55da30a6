import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString, isTrue } from "../../lib/props";

/** True for TLSv1.2_2019 and newer TLS 1.2 policies, and any TLS 1.3 policy. */
export function isModernCloudFrontProtocol(version: string | undefined): boolean {
  if (!version) return false;
  if (/^TLSv1\.3/.test(version)) return true;
  const year = /^TLSv1\.2_(\d{4})$/.exec(version)?.[1];
  return year !== undefined && Number(year) >= 2019;
}

interface Config {
  readonly allowDefaultCertificate?: boolean;
}

/**
 * Protects: viewer traffic in transit. Every cache behaviour (default and ordered) must redirect or require HTTPS,
 * and a custom certificate must use minimumProtocolVersion TLSv1.2_2019 or newer.
 * Decision: the *.cloudfront.net default certificate is a violation unless `allowDefaultCertificate` is set,
 * because CloudFront pins its minimum protocol to TLSv1 and ignores minimumProtocolVersion. Severity: high.
 */
export const requireCloudFrontTls = resourcePolicy<Config>({
  name: "encryption-cloudfront-tls",
  description: "CloudFront distributions must require HTTPS with TLS 1.2 or newer.",
  severity: "high",
  types: ["aws:cloudfront/distribution:Distribution"],
  config: {
    allowDefaultCertificate: {
      type: "boolean",
      default: false,
      description:
        "Accept the *.cloudfront.net certificate (minimum protocol TLSv1), e.g. for a dev stack without a domain.",
    },
  },
  validate: (props, _args, report, config) => {
    const behaviours: [string, unknown][] = [
      ["defaultCacheBehavior", props.defaultCacheBehavior],
      ...asArray(props.orderedCacheBehaviors).map((b, i): [string, unknown] => [`orderedCacheBehaviors[${i}]`, b]),
    ];
    for (const [path, behaviour] of behaviours) {
      const policy = asString(asObject(behaviour)?.viewerProtocolPolicy);
      if (policy === "allow-all")
        report(`${path}.viewerProtocolPolicy is "allow-all"; set it to "redirect-to-https" or "https-only".`);
    }
    const cert = asObject(props.viewerCertificate) ?? {};
    if (isTrue(cert.cloudfrontDefaultCertificate)) {
      if (!config.allowDefaultCertificate) {
        report(
          'viewerCertificate uses the default CloudFront certificate, which allows TLSv1; use an ACM certificate with minimumProtocolVersion "TLSv1.2_2021".',
        );
      }
      return;
    }
    const version = asString(cert.minimumProtocolVersion);
    if (!isModernCloudFrontProtocol(version)) {
      report(`viewerCertificate.minimumProtocolVersion is ${version ?? "unset"}; set it to "TLSv1.2_2021".`);
    }
  },
});
