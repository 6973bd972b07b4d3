import { Construct } from "constructs";
import { Annotations, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DeploymentConfig, physicalName } from "./deployment";
import { Pattern, PatternProps } from "./pattern";
import { VARIABLES_CONTEXT, VariableOptions } from "./variables";

const STACK_VARIABLES: VariableOptions = { prefix: "" };

export interface ServerlessStackProps {
  readonly deployment: DeploymentConfig;
  /** Lambda active tracing and REST stage X-Ray for the stack's pattern (`PatternProps.tracing`). @default false */
  readonly tracing?: boolean;
}

/**
 * A deployable stack of this project: the AWS provider with default tags (project,
 * stack, environment) and the state backend the deployment asks for. Each stack
 * places one pattern under the construct id `Default` (cdktf leaves `Default` out
 * of addresses), given `patternProps()`: the deployment's names, lookups and
 * packaging, and the settings as Terraform variables of today's names.
 */
export class ServerlessStack extends TerraformStack {
  readonly deployment: DeploymentConfig;
  readonly provider: AwsProvider;
  private readonly tracing?: boolean;

  constructor(scope: Construct, id: string, props: ServerlessStackProps) {
    super(scope, id);
    this.deployment = props.deployment;
    this.tracing = props.tracing;
    // A deployable stack's settings are Terraform variables with plain names (its pattern gets the same).
    this.node.setContext(VARIABLES_CONTEXT, STACK_VARIABLES);

    this.provider = new AwsProvider(this, "aws", {
      region: props.deployment.region,
      defaultTags: [{ tags: { project: props.deployment.project, stack: id, environment: props.deployment.name } }],
      // Offline plans (tests, reviews without an account): no call may leave the machine.
      ...(props.deployment.offline
        ? {
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            skipMetadataApiCheck: "true",
            skipRegionValidation: true,
          }
        : {}),
    });

    const backend = props.deployment.stateBackend;
    if (backend.kind === "s3") {
      const s3 = new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix ?? "cdktf"}/${props.deployment.name}/${id}.tfstate`,
        region: backend.region ?? props.deployment.region,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
        dynamodbTable: backend.dynamodbLockTable,
      });
      // S3's native lock file (Terraform >= 1.10); cdktf 0.21 has no typed field for it.
      if (!backend.dynamodbLockTable) s3.addOverride("use_lockfile", true);
    } else {
      // In the project root, like cdktf's default, but relative (from cdktf.out/stacks/<id>/) so synth
      // output is the same on every machine, and state survives a fresh `cdktf.out`.
      const file = backend.qualifier ? `terraform.${backend.qualifier}.${id}.tfstate` : `terraform.${id}.tfstate`;
      new LocalBackend(this, { path: `../../../${file}` });
    }
  }

  /**
   * What the stack's pattern is given: physical names `<env>-<base>`, the alarm topic
   * `<env>-<stack id>-alarms` (five stacks share one environment), the supplied
   * lookups, the deployment's packaging and retention, and variables with plain names.
   */
  protected patternProps(): PatternProps {
    return {
      namePrefix: this.deployment.name,
      variables: STACK_VARIABLES,
      alarmTopicProps: { topicName: this.name(`${this.node.id}-alarms`), email: this.deployment.alarmEmail },
      accountId: this.deployment.lookups.accountId,
      hostedZoneId: this.deployment.lookups.hostedZoneId,
      lambdaPackaging: this.deployment.lambdaPackaging,
      logRetentionDays: this.deployment.logRetentionDays,
      tracing: this.tracing,
    };
  }

  /** The outputs every stack has, from its pattern. */
  protected outputsOf(pattern: Pattern): void {
    new TerraformOutput(this, "alarm_topic_arn", {
      value: pattern.alarmTopic.topicArn,
      description: "SNS topic every alarm of the stack notifies: subscribe on-call here (ALARM_EMAIL subscribes one address).",
    });
  }

  /**
   * A synth warning when the state will hold secrets (`what`) but is not encrypted with
   * a customer managed key: a local file, or S3 without `kmsKeyId` (docs/security.md).
   */
  protected warnSecretsInState(what: string): void {
    const backend = this.deployment.stateBackend;
    if (backend.kind === "s3" && backend.kmsKeyId) return;
    const where = backend.kind === "local" ? "a local state file" : "S3 state without a customer managed key (set STATE_KMS_KEY_ID)";
    Annotations.of(this).addWarning(
      `${what} are stored in Terraform state, here ${where}: for shared environments use the S3 backend with a customer managed KMS key (docs/security.md, "API keys in state").`,
    );
  }

  /** `<env>-<base>`: the physical name of a resource in this environment. */
  name(base: string): string {
    return physicalName(this.deployment, base);
  }
}
