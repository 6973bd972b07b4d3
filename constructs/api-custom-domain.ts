import { Construct } from "constructs";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { DnsValidatedCertificate } from "./dns-validated-certificate";

/** Where the domain's TLS certificate comes from. */
export type DomainCertificate =
  /** Request an ACM certificate for the domain and validate it with DNS records in the hosted zone (`DnsValidatedCertificate`). */
  | { readonly kind: "create" }
  /** Use an already issued certificate (e.g. made by hand in ACM). */
  | { readonly kind: "existing"; readonly certificateArn: string };

export interface ApiCustomDomainProps {
  /** The host name callers use, e.g. `api.example.com`; drives certificate, domain and record alike. */
  readonly domainName: string;
  /** Route53 hosted zone that holds the record (and the validation records). */
  readonly hostedZoneId: string;
  /** Requested here and DNS-validated in `hostedZoneId`, or an existing ARN. */
  readonly certificate: DomainCertificate;
  /** HTTP API (apigatewayv2) id. */
  readonly apiId: string;
  /** Stage id (its name) mapped at the domain's root. */
  readonly stage: string;
  /** `evaluate_target_health` of the alias record. @default false */
  readonly evaluateTargetHealth?: boolean;
}

/**
 * An HTTP API on a custom domain: certificate (created and DNS-validated, or
 * given), regional domain name with TLS 1.2, API mapping, and a Route53 alias
 * A record. The domain waits for the certificate to be valid.
 */
export class ApiCustomDomain extends Construct {
  readonly domainName: Apigatewayv2DomainName;
  readonly certificateArn: string;
  readonly record: Route53Record;
  readonly mapping: Apigatewayv2ApiMapping;
  /** Set when the construct requested the certificate (`certificate: { kind: "create" }`). */
  readonly certificate?: DnsValidatedCertificate;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);

    if (props.certificate.kind === "create") {
      this.certificate = new DnsValidatedCertificate(this, "certificate", {
        domainName: props.domainName,
        hostedZoneId: props.hostedZoneId,
      });
      this.certificateArn = this.certificate.certificateArn;
    } else {
      this.certificateArn = props.certificate.certificateArn;
    }

    this.domainName = new Apigatewayv2DomainName(this, "domain_name", {
      domainName: props.domainName,
      domainNameConfiguration: {
        certificateArn: this.certificateArn,
        endpointType: "REGIONAL",
        securityPolicy: "TLS_1_2",
      },
      dependsOn: this.certificate ? [this.certificate.validation] : undefined,
    });

    this.mapping = new Apigatewayv2ApiMapping(this, "api_mapping", {
      apiId: props.apiId,
      domainName: this.domainName.id,
      stage: props.stage,
    });

    this.record = new Route53Record(this, "alias_record", {
      name: this.domainName.domainName,
      type: "A",
      zoneId: props.hostedZoneId,
      alias: {
        name: this.domainName.domainNameConfiguration.targetDomainName,
        zoneId: this.domainName.domainNameConfiguration.hostedZoneId,
        evaluateTargetHealth: props.evaluateTargetHealth ?? false,
      },
    });
  }
}
