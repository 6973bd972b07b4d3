import { Construct } from "constructs";
import { ApiGatewayBasePathMapping } from "@cdktf/provider-aws/lib/api-gateway-base-path-mapping";
import { ApiGatewayDomainName } from "@cdktf/provider-aws/lib/api-gateway-domain-name";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { DnsValidatedCertificate } from "./dns-validated-certificate";

/*
 * A pattern that serves an API on a custom domain turns the API's default
 * execute-api endpoint off (`disableExecuteApiEndpoint`): left on, it would let
 * callers go around the domain's TLS 1.2 policy. The patterns point here.
 */

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

    ({ certificate: this.certificate, certificateArn: this.certificateArn } = domainCertificate(this, props));

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

/**
 * The certificate of a host name: requested and DNS-validated in `scope` (id
 * `certificate`), or the given ARN. A user of the ARN waits for validation.
 */
export function domainCertificate(
  scope: Construct,
  props: Pick<ApiCustomDomainProps, "domainName" | "hostedZoneId" | "certificate">,
): { certificate?: DnsValidatedCertificate; certificateArn: string } {
  if (props.certificate.kind === "existing") return { certificateArn: props.certificate.certificateArn };
  const certificate = new DnsValidatedCertificate(scope, "certificate", { domainName: props.domainName, hostedZoneId: props.hostedZoneId });
  return { certificate, certificateArn: certificate.certificateArn };
}

/** An optional custom domain of a REST API stack (off unless set). */
export interface RestApiDomainOptions {
  /** The host name callers use, e.g. `ingest.example.com`. */
  readonly domainName: string;
  /** Public hosted zone holding the record; its id is looked up by this name unless the environment supplies it. */
  readonly zoneName: string;
  /** @default { kind: "create" } */
  readonly certificate?: DomainCertificate;
}

export interface RestApiCustomDomainProps extends Pick<ApiCustomDomainProps, "domainName" | "hostedZoneId" | "certificate"> {
  /** REST API (apigateway v1) id. */
  readonly restApiId: string;
  /** Stage mapped at the domain's root. */
  readonly stageName: string;
}

/**
 * A REST API on a custom domain, as `ApiCustomDomain` for HTTP APIs: certificate,
 * regional domain name with TLS 1.2, base path mapping at the root, and a Route53
 * alias A record. Pair it with `disable_execute_api_endpoint` on the API, so
 * callers cannot go around the domain's TLS policy through execute-api.
 */
export class RestApiCustomDomain extends Construct {
  readonly domainName: ApiGatewayDomainName;
  readonly certificateArn: string;
  readonly record: Route53Record;
  readonly mapping: ApiGatewayBasePathMapping;
  readonly certificate?: DnsValidatedCertificate;

  constructor(scope: Construct, id: string, props: RestApiCustomDomainProps) {
    super(scope, id);
    ({ certificate: this.certificate, certificateArn: this.certificateArn } = domainCertificate(this, props));

    this.domainName = new ApiGatewayDomainName(this, "domain_name", {
      domainName: props.domainName,
      regionalCertificateArn: this.certificateArn,
      endpointConfiguration: { types: ["REGIONAL"] },
      securityPolicy: "TLS_1_2",
      dependsOn: this.certificate ? [this.certificate.validation] : undefined,
    });
    this.mapping = new ApiGatewayBasePathMapping(this, "base_path_mapping", {
      apiId: props.restApiId,
      stageName: props.stageName,
      domainName: this.domainName.domainName,
    });
    this.record = new Route53Record(this, "alias_record", {
      name: this.domainName.domainName,
      type: "A",
      zoneId: props.hostedZoneId,
      alias: { name: this.domainName.regionalDomainName, zoneId: this.domainName.regionalZoneId, evaluateTargetHealth: false },
    });
  }
}
