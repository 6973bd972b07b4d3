/**
 * What every pattern construct shares: physical names from one prefix, the alarm
 * topic (its own, or one the user has), the account and region lookups, the
 * settings' variables opt-in, and the defaults of its functions. A pattern creates
 * no provider, backend or account-wide singleton, and reaches up to no stack: what
 * it needs comes in as props, and what it makes lives under its own scope, so two
 * instances sit side by side in one stack.
 */
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { IResolvable } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { AlarmTopic, alarmIdPrefixOf, ExistingAlarmTopic, IAlarmTopic } from "./alarm-topic";
import { DEFAULT_LOG_RETENTION_DAYS, exclusive } from "./defaults";
import { LambdaPackaging } from "./deployment";
import { booleanSetting, VARIABLES_CONTEXT, VariableOptions } from "./variables";

/** An alarm topic the user already has: the construct, or its ARN. */
export type ExistingAlarmTopicRef = IAlarmTopic | { readonly topicArn: string };

/** Settings of the topic a pattern creates when given no existing one. */
export interface AlarmTopicSettings {
  /** @default `<namePrefix>-alarms` */
  readonly topicName?: string;
  /** Subscribes this address (it must confirm). @default no subscription */
  readonly email?: string;
}

export interface PatternProps {
  /**
   * Prefix of every physical name (`<namePrefix>-<base>`): two instances in one account
   * need two prefixes. Names over an AWS limit (32 for load balancers and target
   * groups) are shortened with a hash.
   * @default the construct path below the app, `-`-joined and lower-cased (e.g. `mystack-orders`)
   */
  readonly namePrefix?: string;
  /**
   * Declare the pattern's tunable settings (throttling, client limits, retention...) as
   * Terraform variables named `<prefix><name>`, defaulting to the props' values.
   * @default none: settings are plain values, no variable is declared
   */
  readonly variables?: VariableOptions;
  /** Alarms notify this topic; the pattern creates none. Not with `alarmTopicProps`. @default a topic of its own */
  readonly existingAlarmTopic?: ExistingAlarmTopicRef;
  /** Settings of the pattern's own alarm topic. Not with `existingAlarmTopic`. */
  readonly alarmTopicProps?: AlarmTopicSettings;
  /** The account id, where known at synth. @default looked up (`data.aws_caller_identity`) */
  readonly accountId?: string;
  /** The region name. @default looked up (`data.aws_region`) */
  readonly region?: string;
  /** The hosted zone's id, for patterns with a custom domain. @default looked up by the zone's name (`data.aws_route53_zone`) */
  readonly hostedZoneId?: string;
  /** How function code is zipped. @default "asset": a deterministic zip, no extra provider */
  readonly lambdaPackaging?: LambdaPackaging;
  /** Retention of every log group the pattern creates, in days. @default 14 */
  readonly logRetentionDays?: number;
  /**
   * Lambda active tracing for every function, and X-Ray on REST stages: Lambda's own segments,
   * no tracing SDK in the bundles. A setting: with `variables`, the `bool` variable `<prefix>tracing`
   * defaulting to it. @default false (X-Ray bills per trace: docs/operations.md, "Tracing")
   */
  readonly tracing?: boolean;
  /** A CloudWatch dashboard of the pattern (blocks/observability), generated from what it holds. @default true */
  readonly dashboard?: boolean;
}

/** AWS's longest name of most resources the patterns name (Lambda functions, IAM roles). */
const DEFAULT_NAME_LIMIT = 64;

export abstract class Pattern extends Construct {
  /** Prefix of every physical name. */
  readonly namePrefix: string;
  /** The topic every alarm of the pattern notifies. */
  readonly alarmTopic: IAlarmTopic;
  readonly lambdaPackaging: LambdaPackaging;
  readonly logRetentionDays: number;
  /** The `tracing` setting: the prop's value, or the variable's (a token). */
  readonly tracing: boolean | IResolvable;
  private readonly supplied: Pick<PatternProps, "accountId" | "region" | "hostedZoneId">;
  private callerIdentity?: DataAwsCallerIdentity;
  private regionData?: DataAwsRegion;
  private zone?: { readonly name: string; readonly id: string };

  protected constructor(scope: Construct, id: string, props: PatternProps) {
    super(scope, id);
    // Before any child: context is read by the constructs below.
    if (props.variables) this.node.setContext(VARIABLES_CONTEXT, props.variables);
    exclusive(this, { existingAlarmTopic: props.existingAlarmTopic, alarmTopicProps: props.alarmTopicProps });
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(this);
    this.supplied = props;
    this.lambdaPackaging = props.lambdaPackaging ?? "asset";
    this.logRetentionDays = props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
    this.tracing = booleanSetting(this, "tracing", props.tracing ?? false, "Lambda active tracing of every function and X-Ray on REST stages (X-Ray bills per trace).");

    const existing = props.existingAlarmTopic;
    if (existing === undefined) {
      this.alarmTopic = new AlarmTopic(this, "alarms", {
        topicName: props.alarmTopicProps?.topicName ?? this.name("alarms"),
        accountId: this.accountId,
        email: props.alarmTopicProps?.email,
        // Every alarm the pattern names is `<namePrefix>-...` (name()).
        alarmNamePattern: `${this.namePrefix}-*`,
      });
    } else {
      this.alarmTopic = "alarm" in existing ? existing : new ExistingAlarmTopic(this, "alarms", existing.topicArn);
      // A topic of another pattern admits alarms by its names: add ours.
      this.alarmTopic.allowAlarmsNamed?.(`${this.namePrefix}-*`);
    }
  }

  /** `<namePrefix>-<base>`, within `maxLength` (shortened with a hash of the whole name when longer). */
  name(base: string, maxLength = DEFAULT_NAME_LIMIT): string {
    return limitName(`${this.namePrefix}-${base}`, maxLength);
  }

  /** The account id: supplied, or looked up with `data.aws_caller_identity` (id `current_identity`). */
  get accountId(): string {
    if (this.supplied.accountId) return this.supplied.accountId;
    this.callerIdentity ??= new DataAwsCallerIdentity(this, "current_identity");
    return this.callerIdentity.accountId;
  }

  /** The region name: supplied, or from `data.aws_region` (id `current_region`), as the seeds do. */
  get regionName(): string {
    if (this.supplied.region) return this.supplied.region;
    this.regionData ??= new DataAwsRegion(this, "current_region");
    return this.regionData.name;
  }

  /** The id of the public hosted zone `zoneName`: supplied, or looked up (id `zone`). One zone per pattern. */
  hostedZoneId(zoneName: string): string {
    if (this.zone) {
      if (this.zone.name !== zoneName) throw new Error(`${this.node.path}: a pattern has one hosted zone; asked for ${zoneName} after ${this.zone.name}`);
      return this.zone.id;
    }
    const id = this.supplied.hostedZoneId ?? new DataAwsRoute53Zone(this, "zone", { name: zoneName, privateZone: false }).zoneId;
    this.zone = { name: zoneName, id };
    return id;
  }

  /**
   * The id of one of the pattern's own alarms in its topic, unique where patterns share
   * a topic: `<path below the stack>_<id>` (just `id` for a stack's `Default` pattern).
   */
  alarmId(id: string): string {
    const prefix = alarmIdPrefixOf(this);
    return prefix === "" ? id : `${prefix}_${id}`;
  }

  /** What every function of the pattern takes from it: packaging, log retention, the alarm topic, tracing. */
  get functionDefaults(): { packaging: LambdaPackaging; logRetentionDays: number; alarms: IAlarmTopic; tracing?: boolean | IResolvable } {
    return { packaging: this.lambdaPackaging, logRetentionDays: this.logRetentionDays, alarms: this.alarmTopic, ...(this.tracing === false ? {} : { tracing: this.tracing }) };
  }
}

/** The construct path below the app as a name prefix: `mystack/orders` -> `mystack-orders`. */
export function defaultNamePrefix(construct: Construct): string {
  const ids = construct.node.scopes
    .slice(1)
    .map((scope) => scope.node.id)
    .filter((id) => id !== "Default");
  return limitName(ids.join("-").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, ""), 40);
}

/** `name` if it fits in `maxLength`, else its head and an 8-character hash of the whole (still unique). */
export function limitName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, maxLength - 9).replace(/-+$/, "")}-${hash}`;
}
