/** The deployable stack's variables that have no default (the seed's, made beforehand): the pattern takes their values. */
import type { TerraformVariable } from "cdktf";
import type { ServerlessStack } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable } from "../../blocks/variables";
import { CERTIFICATE_ARN_PATTERN, UPSTREAM_PATTERN, ZONE_ID_PATTERN } from "../../patterns/webhook-proxy";

export interface RequiredVariables {
  readonly upstream: TerraformVariable;
  readonly zoneId: TerraformVariable;
  readonly domainCertArn: TerraformVariable;
  readonly domainName: TerraformVariable;
}

export function requiredVariables(stack: ServerlessStack): RequiredVariables {
  // The seed's `app_env` (the queue's `Environment` tag) is gone: the environment is APP_ENV alone,
  // which names every resource and tags every one `environment = <env>` (provider default tags).
  // A second, plan-time label could only disagree with it.
  const upstream = patternVariable(stack, "upstream", {
    pattern: UPSTREAM_PATTERN,
    description:
      "Upstream host that receives the webhooks over HTTPS, e.g. example.com; optionally with :port and " +
      "a base path (example.com:8443/hooks). No scheme: deliveries are always HTTPS.",
    errorMessage: "upstream must be a host name with an optional :port and /path, without a scheme (HTTPS is implied).",
  });
  const zoneId = patternVariable(stack, "zone_id", {
    pattern: ZONE_ID_PATTERN,
    description: "Id of the existing Route53 hosted zone that holds domain_name (made beforehand, as in the seed).",
    errorMessage: "zone_id must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ.",
  });
  const domainCertArn = patternVariable(stack, "domain_cert_arn", {
    pattern: CERTIFICATE_ARN_PATTERN,
    description: "ARN of an issued ACM certificate for domain_name, in this stack's region (made beforehand).",
    errorMessage: "domain_cert_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>).",
  });
  const domainName = patternVariable(stack, "domain_name", {
    pattern: DNS_NAME_PATTERN,
    description: "Host name the webhook senders call, e.g. webhook.example.com; must be covered by domain_cert_arn.",
    errorMessage: "domain_name must be a lower-case DNS name such as webhook.example.com.",
  });
  return { upstream, zoneId, domainCertArn, domainName };
}
