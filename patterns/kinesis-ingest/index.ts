import { Construct } from "constructs";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DynamodbTable, DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KinesisStream, KinesisStreamConfig } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { ClientLimits } from "../../blocks/api-key-clients";
import { DeadLetterQueue } from "../../blocks/dead-letter-queue";
import { consolidateProps, exclusive, secureTableDefaults } from "../../blocks/defaults";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern, PatternProps } from "../../blocks/pattern";
import { StreamRef, TableRef } from "../../blocks/references";
import { RestApiFrontDoor, restApiFrontDoor, RestApiFrontDoorOptions } from "../../blocks/rest-api-front-door";
import { RestApiStage, restApiStackStage } from "../../blocks/rest-api-stage";
import { wholeNumberSetting } from "../../blocks/variables";
import { KINESIS_INGEST_DEFAULTS } from "./defaults";
import { putRecordApi } from "./put-record-api";
import { checkStreamRetention, minimumStreamRetentionHours, STREAM_RETENTION_LIMITS } from "./retention";
import { streamConsumer } from "./stream-consumer";
import { observe, Observed } from "../../blocks/observability";

export { checkStreamRetention, minimumStreamRetentionHours, STREAM_RETENTION_LIMITS } from "./retention";

/** The stream's settings a user may override (its name and retention come from the pattern). */
export type KinesisIngestStreamProps = Partial<Omit<KinesisStreamConfig, "name" | "retentionPeriod">>;
/** The table's settings a user may override (the handler writes `ID`-keyed items: the key schema is fixed). */
export type KinesisIngestTableProps = Partial<Omit<DynamodbTableConfig, "hashKey" | "rangeKey" | "attribute">>;

export interface KinesisIngestProps extends PatternProps, RestApiFrontDoorOptions {
  /** Shards of the stream; each takes 1,000 records or 1 MB per second. @default 1 (the seed) */
  readonly shardCount?: number;
  /** Records per Lambda invocation. @default 100 (the seed) */
  readonly batchSize?: number;
  /** Retries of a failed batch (after bisecting) before its records go to the dead-letter queue. @default 5 */
  readonly maximumRetryAttempts?: number;
  /**
   * Records older than this (seconds) go to the dead-letter queue instead of the function.
   * The stream's retention must exceed it plus the reaction window, so a replay can still read them.
   * @default 3600
   */
  readonly maximumRecordAgeSeconds?: number;
  /**
   * How long the stream keeps records (`stream_retention_hours` with variables on), so how long a
   * dead-letter pointer (shard + sequence range, not the data) can be replayed. 24..8760.
   * @default 168 (7 days: a failure on Friday evening is still replayable on Monday)
   */
  readonly streamRetentionHours?: number;
  /**
   * Time the team needs between the dead-letter alarm and a replay (`npm run redrive:kinesis-ingest`), in hours.
   * The synth and the plan refuse a retention shorter than the maximum record age plus this window.
   * @default 72 (a weekend and a working day)
   */
  readonly reactionWindowHours?: number;
  /** The stream's GetRecords.IteratorAgeMilliseconds that raises an alarm: the consumer is behind. @default 60000 */
  readonly iteratorAgeAlarmMs?: number;
  /** Share of requests answered 5xx (0..1, per 5 minutes) that raises an alarm. @default 0.01 */
  readonly api5xxRateThreshold?: number;
  /** Requests per second the stage accepts, below what one shard takes. @default 1000 (the seed) */
  readonly throttlingRateLimit?: number;
  /** Requests accepted in a burst above the rate. @default 2000 (the seed) */
  readonly throttlingBurstLimit?: number;
  /**
   * Set the region's API Gateway logging role (`ApiGatewayAccountLogging`), which REST access
   * logs need: an account-wide singleton, so only where asked (with variables on, the default of
   * `manage_api_gateway_account`).
   * @default false: the region's setting is managed elsewhere
   */
  readonly manageApiGatewayAccount?: boolean;
  /** Per-client limits (`client_*` with variables on), below the stage's. @default 500 requests/s, burst 1,000, 500,000 a day */
  readonly clientLimits?: ClientLimits;
  /** A stream the user has: the API writes to it, the consumer reads it. Not with `streamProps`. @default a new stream */
  readonly existingStream?: StreamRef;
  /** Overrides of the new stream's settings (merged over KINESIS_INGEST_DEFAULTS.stream). Not with `existingStream`. */
  readonly streamProps?: KinesisIngestStreamProps;
  /** A table the user has (hash key `ID`, string): the consumer writes to it. Not with `tableProps`. @default a new table */
  readonly existingTable?: TableRef;
  /** Overrides of the new table's settings (merged over KINESIS_INGEST_DEFAULTS.table). Not with `existingTable`. */
  readonly tableProps?: KinesisIngestTableProps;
}

/**
 * Seed 000, the spike buffer: a REST API writes each POST body straight into
 * a Kinesis stream (AWS integration, no Lambda in the request path); a Lambda
 * function polls the stream and stores the records in DynamoDB. Spikes land in
 * the stream, and the consumer drains it at its own pace.
 *
 *   POST /dev  ->  API Gateway (PutRecord, base64 body)  ->  Kinesis  ->  Lambda  ->  DynamoDB
 *                                                                          \-> SQS dead-letter queue
 */
export class KinesisIngest extends Pattern {
  /** Its dashboard (none with `dashboard: false`) and the alarms on its handlers' outcome metrics (blocks/observability). */
  readonly observability: Observed;
  readonly api: ApiGatewayRestApi;
  readonly deployment: ApiGatewayDeployment;
  /** The role API Gateway assumes to PutRecord. */
  readonly apiRole: IamRole;
  readonly stage: RestApiStage;
  readonly frontDoor: RestApiFrontDoor;
  /** The stream the pattern created (undefined with `existingStream`). */
  readonly stream?: KinesisStream;
  /** The stream in use: created or existing. */
  readonly streamRef: StreamRef;
  /** The table the pattern created (undefined with `existingTable`). */
  readonly table?: DynamodbTable;
  /** The table in use: created or existing. */
  readonly tableRef: TableRef;
  readonly handler: NodejsFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly iteratorAgeAlarm: CloudwatchMetricAlarm;
  readonly writeThrottlesAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: KinesisIngestProps = {}) {
    super(scope, id, props);
    exclusive(this, { existingStream: props.existingStream, streamProps: props.streamProps });
    exclusive(this, { existingTable: props.existingTable, tableProps: props.tableProps });
    const callerAuth = props.callerAuth ?? "api-key";
    const maximumRecordAgeSeconds = props.maximumRecordAgeSeconds ?? 3600;

    // The stream. Fix: encrypted at rest with the AWS managed key (the seed leaves the stream unencrypted);
    // that key's policy lets the producer and consumer roles use it through Kinesis (no kms: statement).
    if (props.existingStream) {
      this.streamRef = props.existingStream;
    } else {
      // Checked at synth (and the variable again at plan): a dead-letter pointer must outlive its records' wait.
      const reactionWindowHours = props.reactionWindowHours ?? 72;
      const retentionHours = props.streamRetentionHours ?? 168;
      checkStreamRetention({ retentionHours, maximumRecordAgeSeconds, reactionWindowHours });
      const minimumRetention = minimumStreamRetentionHours({ maximumRecordAgeSeconds, reactionWindowHours });
      const retention = wholeNumberSetting(this, "stream_retention_hours", retentionHours, {
        min: minimumRetention,
        max: STREAM_RETENTION_LIMITS.max,
        description:
          `Hours the stream keeps records: how long a dead-letter pointer can be replayed. At least the maximum record age ` +
          `(${maximumRecordAgeSeconds} s) + the ${reactionWindowHours} h reaction window; at most ${STREAM_RETENTION_LIMITS.max}.`,
        errorMessage: `stream_retention_hours must be a whole number in ${minimumRetention}..${STREAM_RETENTION_LIMITS.max} (maximum record age + reaction window).`,
      });
      this.stream = new KinesisStream(this, "stream", {
        ...consolidateProps<KinesisIngestStreamProps>({ ...KINESIS_INGEST_DEFAULTS.stream, shardCount: props.shardCount ?? 1 }, props.streamProps),
        name: this.name("example-stream"),
        // Fix: the seed keeps the default 24 h; a dead-letter pointer is only as good as the records it points to.
        retentionPeriod: retention,
      });
      this.streamRef = this.stream;
    }

    const front = putRecordApi(this, { stream: this.streamRef, callerAuth, customDomain: props.customDomain !== undefined });
    this.api = front.api;
    this.deployment = front.deployment;
    this.apiRole = front.role;

    // The seed's stage and commented-out method settings: access logs, throttling below what one shard
    // takes (1,000 records/s), metrics, and error-level execution logs (the seed's commented-out INFO +
    // data trace would log every request body), plus the API 5xx-rate alarm.
    this.stage = restApiStackStage(this, {
      tracing: this.tracing,
      api: this.api,
      deployment: this.deployment,
      stageName: "dev",
      throttlingRateLimit: props.throttlingRateLimit ?? 1000,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 2000,
      // The seed's commented-out CloudWatch role + aws_api_gateway_account: access logs need the region's
      // API Gateway account setting to name a role that may write logs.
      accountLogging: {
        roleName: this.name("apigw-cloudwatch-logs-role"),
        accountId: this.accountId,
        manageByDefault: props.manageApiGatewayAccount ?? false,
      },
      accessLogRetentionDays: this.logRetentionDays,
      alarms: this.alarmTopic,
      alarmName: this.name("kinesis-sample-api-5xx"),
      alarmDescription: "Share of API requests answered 5xx (records not accepted).",
      errorRateThreshold: props.api5xxRateThreshold ?? 0.01,
    });

    // Custom domain, callers (one API key and usage plan per client, or IAM), optional web ACL.
    this.frontDoor = restApiFrontDoor(this, {
      ...props,
      api: this.api,
      stage: this.stage,
      name: this.name("kinesis-sample-api"),
      hostedZoneId: props.customDomain ? this.hostedZoneId(props.customDomain.zoneName) : undefined,
      limits: consolidateProps(KINESIS_INGEST_DEFAULTS.clientLimits, props.clientLimits),
      invokePath: "POST/",
    });

    // Fix: encrypted and with point-in-time recovery (the seed sets neither); defaults first, overrides after.
    if (props.existingTable) {
      this.tableRef = props.existingTable;
    } else {
      this.table = new DynamodbTable(this, "table", {
        ...consolidateProps<KinesisIngestTableProps>({ ...KINESIS_INGEST_DEFAULTS.table, ...secureTableDefaults(this) }, props.tableProps),
        name: props.tableProps?.name ?? this.name("example-table"),
        hashKey: "ID",
        attribute: [{ name: "ID", type: "S" }],
      });
      this.tableRef = this.table;
    }

    const consumer = streamConsumer(this, {
      stream: this.streamRef,
      table: this.tableRef,
      batchSize: props.batchSize ?? 100,
      maximumRetryAttempts: props.maximumRetryAttempts ?? 5,
      maximumRecordAgeSeconds,
      iteratorAgeAlarmMs: props.iteratorAgeAlarmMs ?? 60000,
    });
    this.handler = consumer.handler;
    this.eventSourceMapping = consumer.eventSourceMapping;
    this.deadLetterQueue = consumer.deadLetterQueue;
    this.iteratorAgeAlarm = consumer.iteratorAgeAlarm;
    this.writeThrottlesAlarm = consumer.writeThrottlesAlarm;
    this.observability = observe(this, { service: "kinesis-ingest", dashboard: props.dashboard });
  }

}
