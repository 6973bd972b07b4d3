/**
 * An optional AWS WAF (v2) web ACL in front of a REST API stage or an ALB:
 * a per-IP rate limit and AWS's managed common rule set. HTTP APIs (API
 * Gateway v2) cannot take a web ACL; their guard is the stage throttling
 * and, in webhook-proxy, the signature check.
 */
import { Construct } from "constructs";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { wholeNumberSetting } from "./variables";

/** What a stack's `webAcl` prop sets; its presence turns the web ACL on. */
export interface WebAclOptions {
  /**
   * Default of the `waf_rate_limit` variable: requests one IP address may send in
   * any 5-minute window before WAF blocks it (until its rate falls below again).
   * @default 1000 (about 3 requests per second, sustained)
   */
  readonly rateLimitPer5Minutes?: number;
}

export interface RateLimitWebAclProps extends WebAclOptions {
  /** Physical name of the web ACL; also the prefix of its CloudWatch metric names. */
  readonly name: string;
  /**
   * What the web ACL guards, by construct id (the association's id) -> ARN:
   * a REST API stage (`aws_api_gateway_stage.arn`) or an ALB (`aws_lb.arn`).
   */
  readonly protects: Readonly<Record<string, string>>;
}

/** A `statement` block as Terraform spells it (the provider types it loosely, so it is written in snake_case). */
type WafStatement =
  | { readonly rate_based_statement: { readonly limit: number; readonly aggregate_key_type: "IP"; readonly evaluation_window_sec: number } }
  | {
      readonly managed_rule_group_statement: {
        readonly vendor_name: "AWS";
        readonly name: string;
        readonly rule_action_override?: readonly { readonly name: string; readonly action_to_use: { readonly count: Record<string, never> } }[];
      };
    };

/** The managed common rule set's rule that blocks bodies over 8 KB: counted only, since the APIs here take larger bodies. */
export const BODY_SIZE_RULE = "SizeRestrictions_BODY";

/**
 * A REGIONAL web ACL (default action: allow) with two rules, and its associations:
 *
 * 1. `AWSManagedRulesCommonRuleSet` (AWS's baseline: known-bad inputs,
 *    oversized headers and query strings, ...), except `SizeRestrictions_BODY`,
 *    which only counts: translate-api takes 10,000 characters and
 *    kinesis-ingest up to 1 MB, both above its 8 KB;
 * 2. a rate-based rule per source IP: above `waf_rate_limit` requests in a
 *    5-minute window, that IP gets 403 from WAF until it slows down.
 *
 * Sampled requests and CloudWatch metrics are on for the ACL and each rule.
 * A REST API stage, edge-optimized ones included, takes a regional ACL in the
 * API's region (a global CLOUDFRONT-scope ACL is for CloudFront distributions
 * only): https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
 */
export class RateLimitWebAcl extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly associations: Wafv2WebAclAssociation[];

  constructor(scope: Construct, id: string, props: RateLimitWebAclProps) {
    super(scope, id);

    const rateLimit = wholeNumberSetting(this, "waf_rate_limit", props.rateLimitPer5Minutes ?? 1000, {
      min: 10,
      description: "Requests one IP address may send in any 5-minute window before the web ACL blocks it (AWS WAF minimum: 10).",
      errorMessage: "waf_rate_limit must be a whole number >= 10 (AWS WAF's minimum).",
    });

    const visibility = (metricName: string) => ({
      cloudwatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const common: WafStatement = {
      managed_rule_group_statement: {
        vendor_name: "AWS",
        name: "AWSManagedRulesCommonRuleSet",
        rule_action_override: [{ name: BODY_SIZE_RULE, action_to_use: { count: {} } }],
      },
    };
    const perIp: WafStatement = {
      rate_based_statement: { limit: rateLimit, aggregate_key_type: "IP", evaluation_window_sec: 300 },
    };

    this.webAcl = new Wafv2WebAcl(this, "web_acl", {
      name: props.name,
      description: "Per-IP rate limit and AWS managed common rules",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: [
        {
          name: "aws-common-rule-set",
          priority: 0,
          overrideAction: { none: {} },
          statement: common,
          visibilityConfig: visibility(`${props.name}-common`),
        },
        {
          name: "per-ip-rate-limit",
          priority: 1,
          action: { block: {} },
          statement: perIp,
          visibilityConfig: visibility(`${props.name}-per-ip-rate`),
        },
      ],
      visibilityConfig: visibility(props.name),
    });

    this.associations = Object.entries(props.protects).map(
      ([associationId, resourceArn]) =>
        new Wafv2WebAclAssociation(this, associationId, { resourceArn, webAclArn: this.webAcl.arn }),
    );
  }
}
