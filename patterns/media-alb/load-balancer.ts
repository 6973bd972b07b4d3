/**
 * media-alb's front door: the load balancer api-lb with its access logs, the HTTPS
 * listener (certificate, fixed 404) and the HTTP redirect, the optional web ACL, the
 * alias record, and the load balancer's own alarms. A function, not a construct: its
 * resources sit directly in the pattern, at the addresses the stack had before.
 */
import type { IResolvable } from "cdktf";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { domainCertificate, type DomainCertificate } from "../../blocks/api-custom-domain";
import { DnsValidatedCertificate } from "../../blocks/dns-validated-certificate";
import { declareEntryPoint } from "../../blocks/entry-points";
import { Pattern } from "../../blocks/pattern";
import { RateLimitWebAcl, WebAclOptions } from "../../blocks/rate-limit-web-acl";
import { AccessLogBucket } from "./access-log-bucket";
import { AlbNetwork } from "./network";

/** AWS's longest load balancer and target group name. */
export const ALB_NAME_LIMIT = 32;

export interface AlbFrontDoor {
  readonly loadBalancer: Lb;
  readonly certificate?: DnsValidatedCertificate;
  readonly httpsListener: LbListener;
  readonly httpListener: LbListener;
  readonly webAcl?: RateLimitWebAcl;
  readonly record: Route53Record;
  /** 5xx answered by the load balancer itself. */
  readonly elb5xxAlarm: CloudwatchMetricAlarm;
  /** 5xx answered by the functions. */
  readonly target5xxAlarm: CloudwatchMetricAlarm;
}

export function albFrontDoor(
  pattern: Pattern,
  props: {
    readonly hostLabel: string;
    readonly hostName: string;
    readonly hostedZoneId: string;
    readonly network: AlbNetwork;
    readonly accessLogs: AccessLogBucket;
    readonly deletionProtection: boolean | IResolvable;
    readonly certificate: DomainCertificate;
    readonly sslPolicy: string;
    readonly webAcl?: WebAclOptions;
  },
): AlbFrontDoor {
  const lbName = pattern.name(props.hostLabel, ALB_NAME_LIMIT);
  const loadBalancer = new Lb(pattern, "load_balancer", {
    name: lbName,
    internal: false,
    loadBalancerType: "application",
    securityGroups: [props.network.securityGroup.id],
    subnets: props.network.subnetIds,
    enableDeletionProtection: props.deletionProtection,
    // Requests with header names that are not valid HTTP are dropped, not passed to the functions.
    dropInvalidHeaderFields: true,
    accessLogs: { bucket: props.accessLogs.bucket.id, prefix: props.accessLogs.prefix, enabled: true },
    // The ALB writes a test object when access logs are enabled: the policy must be in place.
    dependsOn: [props.accessLogs.policy],
  });

  // The listener's certificate: the given ARN, or one requested for the host name and
  // DNS-validated in the zone; the listener takes the validation's ARN, so it waits for issuance.
  const { certificate, certificateArn } = domainCertificate(pattern, {
    domainName: props.hostName,
    hostedZoneId: props.hostedZoneId,
    certificate: props.certificate,
  });

  // HTTPS 443: the seed's listener, its default action replaced by a fixed 404 (the seed's final edit).
  const httpsListener = new LbListener(pattern, "https_listener", {
    loadBalancerArn: loadBalancer.arn,
    port: 443,
    protocol: "HTTPS",
    sslPolicy: props.sslPolicy,
    certificateArn,
    defaultAction: [
      {
        type: "fixed-response",
        fixedResponse: { statusCode: "404", contentType: "application/json", messageBody: '{"message":"Not Found"}' },
      },
    ],
  });

  // Public on purpose, as the seed: browsers call it without credentials (CORS `*`), and it only reads.
  declareEntryPoint(httpsListener, {
    caller: "public",
    reason:
      "read-only lookups (job id, status) for browser pages: nothing is written, a request costs one Lambda " +
      "invocation and one DynamoDB read; webAcl adds a per-IP rate limit",
  });
  const webAcl = props.webAcl
    ? new RateLimitWebAcl(pattern, "web_acl", {
        ...props.webAcl,
        name: pattern.name(props.hostLabel),
        protects: { load_balancer_association: loadBalancer.arn },
      })
    : undefined;

  // HTTP 80: only a permanent redirect to HTTPS (same host, path and query).
  const httpListener = new LbListener(pattern, "http_listener", {
    loadBalancerArn: loadBalancer.arn,
    port: 80,
    protocol: "HTTP",
    defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
  });

  // DNS: api-lb.<zone> -> the ALB (the seed: a CNAME at another DNS provider).
  const record = new Route53Record(pattern, "record", {
    zoneId: props.hostedZoneId,
    name: props.hostName,
    type: "A",
    alias: { name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true },
  });

  // Errors of the ALB itself and 5xx answers of the functions.
  const albAlarm = (id: string, metricName: string, what: string) =>
    pattern.alarmTopic.countAboveZero(pattern.alarmId(id), {
      alarmName: pattern.name(`${props.hostLabel}-${metricName}`),
      alarmDescription: `${lbName}: ${what}`,
      namespace: "AWS/ApplicationELB",
      metricName,
      dimensions: { LoadBalancer: loadBalancer.arnSuffix },
      period: 300,
    });
  const elb5xxAlarm = albAlarm(
    "alb_elb_5xx",
    "HTTPCode_ELB_5XX_Count",
    "5xx answered by the load balancer (502 bad Lambda answer, 503, 504) > 0 in 5 minutes",
  );
  const target5xxAlarm = albAlarm("alb_target_5xx", "HTTPCode_Target_5XX_Count", "5xx answered by the functions > 0 in 5 minutes");

  return { loadBalancer, certificate, httpsListener, httpListener, webAcl, record, elb5xxAlarm, target5xxAlarm };
}
