import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString } from "../../lib/props";

/**
 * ELB security policies that allow only TLS 1.2 or newer. Names not matching (ELBSecurityPolicy-2016-08, the
 * provider default, and the TLS13-1-0/1-1 families) still negotiate TLS 1.0/1.1.
 */
export const TLS12_POLICY_PATTERN = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

function isHttpsRedirect(action: unknown): boolean {
  const a = asObject(action);
  return asString(a?.type) === "redirect" && asString(asObject(a?.redirect)?.protocol) === "HTTPS";
}

/**
 * Protects: traffic in transit at the edge of the VPC, for `aws:lb` and its alias module `aws:alb`. HTTPS and TLS
 * listeners need a TLS 1.2+ security policy (a missing policy means the provider default, which allows TLS 1.0).
 * A plain HTTP listener is allowed only when every default action redirects to HTTPS. TCP/UDP listeners pass
 * bytes through and are out of scope. Severity: high.
 */
export const requireTlsListeners = resourcePolicy({
  name: "encryption-lb-listener-tls",
  description: "Load balancer listeners must use TLS 1.2+ or redirect HTTP to HTTPS.",
  severity: "high",
  types: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  validate: (props, _args, report) => {
    // ALB listeners default to HTTP when no protocol is given.
    const protocol = (asString(props.protocol) ?? "HTTP").toUpperCase();
    if (protocol === "HTTPS" || protocol === "TLS") {
      const sslPolicy = asString(props.sslPolicy);
      if (!sslPolicy || !TLS12_POLICY_PATTERN.test(sslPolicy)) {
        report(
          `${protocol} listener uses ssl policy ${sslPolicy ?? "(provider default)"}; set sslPolicy to "ELBSecurityPolicy-TLS13-1-2-2021-06".`,
        );
      }
      return;
    }
    if (protocol === "HTTP") {
      const actions = asArray(props.defaultActions);
      if (actions.length === 0 || !actions.every(isHttpsRedirect)) {
        report(
          'HTTP listener serves plaintext; make its only default action a redirect with protocol "HTTPS", or use HTTPS.',
        );
      }
    }
  },
});
