import { Construct } from "constructs";
import { TerraformIterator, Token } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";

export interface DnsValidatedCertificateProps {
  /**
   * Host name the certificate covers, e.g. `api.example.com` (may be a Terraform token).
   * @default none: required
   */
  readonly domainName: string;
  /**
   * Route53 hosted zone that receives the validation CNAME records; it must be
   * the public zone that answers for `domainName`.
   * @default none: required
   */
  readonly hostedZoneId: string;
}

/**
 * An ACM certificate validated through Route53: the certificate (DNS
 * validation, replaced create-before-destroy), one validation CNAME per
 * `domain_validation_options` entry (a `for_each` keyed by domain name, TTL 60,
 * overwriting a record left by an earlier certificate), and the
 * `aws_acm_certificate_validation` that waits until ACM has issued it.
 *
 * Use `certificateArn` (the validation's ARN), never `certificate.arn`: a
 * listener or domain name that takes it waits for the certificate to be valid.
 */
export class DnsValidatedCertificate extends Construct {
  readonly certificate: AcmCertificate;
  /** The validation CNAMEs (one resource, `for_each` over the validation options). */
  readonly validationRecords: Route53Record;
  readonly validation: AcmCertificateValidation;
  /** ARN of the issued certificate, known only once validation has succeeded. */
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);

    this.certificate = new AcmCertificate(this, "certificate", {
      domainName: props.domainName,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    // One CNAME per validation option, keyed by domain name: a for_each, never a hard-coded index.
    const options = TerraformIterator.fromComplexList(this.certificate.domainValidationOptions, "domain_name");
    this.validationRecords = new Route53Record(this, "validation_record", {
      forEach: options,
      zoneId: props.hostedZoneId,
      name: options.getString("resource_record_name"),
      type: options.getString("resource_record_type"),
      records: [options.getString("resource_record_value")],
      ttl: 60,
      allowOverwrite: true,
    });
    this.validation = new AcmCertificateValidation(this, "validation", {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(this.validationRecords).pluckProperty("fqdn")),
    });
    this.certificateArn = this.validation.certificateArn;
  }
}
