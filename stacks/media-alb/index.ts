import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PatternProps } from "../../blocks/pattern";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable } from "../../blocks/variables";
import { MediaAlb, MediaAlbProps } from "../../patterns/media-alb";

export { ELB_ACCOUNT_LOG_DELIVERY_REGIONS, ELB_LOG_DELIVERY_PRINCIPAL } from "../../patterns/media-alb";

/**
 * The pattern's own props but the zone (the `zone_name` variable); the environment decides names,
 * lookups (the VPC and subnets unless given), packaging and the alarm topic.
 */
export type MediaAlbStackProps = ServerlessStackProps & Omit<MediaAlbProps, keyof PatternProps | "zoneName">;

/**
 * Seed 003 as a deployable stack: the `MediaAlb` pattern (patterns/media-alb) with this
 * environment's names and its settings as Terraform variables, the zone as the `zone_name`
 * variable, and the outputs an operator needs.
 */
export class MediaAlbStack extends ServerlessStack {
  readonly pattern: MediaAlb;

  constructor(scope: Construct, id: string, props: MediaAlbStackProps) {
    super(scope, id, props);
    const { deployment, ...options } = props;
    const zoneName = patternVariable(this, "zone_name", {
      pattern: DNS_NAME_PATTERN,
      errorMessage: "zone_name must be a lower-case DNS name such as example.com.",
      default: "example.com",
      description:
        "Public Route53 hosted zone holding the API's record (api-lb.<zone>). Looked up by name unless the environment supplies its id. The seed used nightonly.com at another DNS provider.",
    });
    this.pattern = new MediaAlb(this, "Default", {
      ...options,
      ...this.patternProps(),
      zoneName: zoneName.stringValue,
      // A literal region decides the access logs' delivery principal at synth.
      region: deployment.region,
      vpcId: props.vpcId ?? deployment.lookups.vpcId,
      subnetIds: props.subnetIds ?? deployment.lookups.subnetIds,
    });
    const p = this.pattern;

    this.outputsOf(p);
    new TerraformOutput(this, "alb_dns_name", {
      value: p.loadBalancer.dnsName,
      description: "The load balancer's own DNS name (its certificate does not cover it).",
    });
    new TerraformOutput(this, "custom_domain_url", { value: `https://${p.record.fqdn}`, description: "Base URL of the API (api-lb.<zone>)." });
    new TerraformOutput(this, "job_id_url", {
      value: `https://${p.record.fqdn}/media/job_id?input_file=`,
      description: "Input file name -> MediaConvert job id (append a URL-encoded file name).",
    });
    new TerraformOutput(this, "status_url", {
      value: `https://${p.record.fqdn}/media/status?job_id=`,
      description: "MediaConvert job id -> status (append a job id).",
    });
    new TerraformOutput(this, "job_id_table_name", {
      value: p.jobIdTableRef.name,
      description: "DynamoDB table job_id_url reads (input file -> job id), written by the MediaConvert pipeline.",
    });
    new TerraformOutput(this, "status_table_name", {
      value: p.statusTableRef.name,
      description: "DynamoDB table status_url reads (job id -> status), written by the MediaConvert pipeline.",
    });
    new TerraformOutput(this, "access_log_bucket_name", {
      value: p.accessLogBucket.bucket,
      description: "S3 bucket holding the load balancer's access logs.",
    });
  }
}
