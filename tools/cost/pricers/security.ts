/** Pricers of KMS keys, Secrets Manager secrets and WAF web ACLs. */
import { Pricer, arr, plural } from "../context";

const priceKmsKey: Pricer = (r, ctx) => {
  const replica = r.type === "aws:kms/replicaKey:ReplicaKey";
  ctx.add(r, {
    resource: `KMS ${replica ? "replica key" : "key"} ${r.name}`,
    quantity: 1,
    unit: "key-months",
    unitPriceUsd: ctx.prices(r).kms.usdPerKeyMonth,
    note: "API requests not priced",
  });
};

const priceSecret: Pricer = (r, ctx) => {
  const replicas = arr(r.inputs.replicas).length;
  ctx.add(r, {
    resource: `Secrets Manager secret ${r.name}`,
    quantity: 1 + replicas,
    unit: "secret-months",
    unitPriceUsd: ctx.prices(r).secretsManager.usdPerSecretMonth,
    note: replicas ? `includes ${plural(replicas, "replica")}, each billed as a secret` : undefined,
  });
};

const priceWebAcl: Pricer = (r, ctx) => {
  const waf = ctx.global.wafv2;
  const requests = ctx.assumptions.wafRequestsPerMonth.value;
  const label = `WAF web ACL ${r.name}`;
  const rules = arr(r.inputs.rules).length;
  ctx.add(r, { resource: label, quantity: 1, unit: "web ACL-months", unitPriceUsd: waf.usdPerWebAclMonth });
  if (rules > 0) {
    ctx.add(r, {
      resource: `${label}: rules`,
      quantity: rules,
      unit: "rule-months",
      unitPriceUsd: waf.usdPerRuleMonth,
      note: "managed rule groups count as one rule; their own subscription fees are not priced",
    });
  }
  ctx.add(r, {
    resource: `${label}: requests`,
    quantity: requests / 1e6,
    unit: "million requests",
    unitPriceUsd: waf.usdPerMillionRequests,
    note: `assumed ${requests} requests per month (assumptions.wafRequestsPerMonth)`,
  });
};

export const SECURITY_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:kms/key:Key": priceKmsKey,
  "aws:kms/replicaKey:ReplicaKey": priceKmsKey,
  "aws:secretsmanager/secret:Secret": priceSecret,
  "aws:wafv2/webAcl:WebAcl": priceWebAcl,
};
