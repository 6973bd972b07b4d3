/**
 * Replays seed 002's burst on the synthesized `webhook-proxy` stack:
 *
 *   N webhooks (HTTP API payload 2.0 events: JSON, form, text, binary bodies)
 *   -> the bundled api2sqs handler -> the queue on local-aws-sqs (visibility timeout, redrive to the DLQ)
 *   -> consumers playing the SQS event source mapping, as many as the stack's concurrency limit
 *   -> the bundled sqs2upstream handler -> a local upstream that can fail or hang
 *
 * and checks that every accepted webhook reached the upstream byte for byte
 * or sits in the DLQ, and that the upstream never saw more requests at once
 * than the limit.
 */
import { createHmac, randomBytes } from "node:crypto";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { TokenBucket } from "../emulator/apigateway";
import { ACCOUNT_ID, awsEnv, Engine, REGION, setProcessEnv, sqsClient, startParameterStore, startSqs } from "../emulator/engines";
import { consumeQueue, queueDepth, type QueueMappingSettings, readQueueMapping } from "../emulator/event-source";
import { handlerSandbox, FunctionSettings, invoke, loadHandler } from "../emulator/handler";
import { latencyOf, Progress, Recorder, ReplaySummary } from "./metrics";
import { Random } from "../emulator/random";
import { functionSettings } from "../emulator/resources";
import { Block, environmentVariables, functionCode, numberSetting, redrivePolicy, referenceOf, resource, single, SynthesizedStack } from "../emulator/synth";
import { mapPool, resolveEnvironment } from "../emulator/util";
import { apiEvent, makeWebhook, type Signer, startUpstream, type Webhook } from "./webhook-traffic";

export interface WebhookReplayOptions {
  /** Webhooks to send. @default 1000 */
  readonly requests?: number;
  /** Webhooks in flight at once (the sender's burst). @default 16 */
  readonly concurrency?: number;
  /** Share of upstream requests answered 500. @default 0 */
  readonly failRate?: number;
  /** Share of upstream requests never answered (the handler's upstream timeout cuts them). @default 0 */
  readonly hangRate?: number;
  /** Value of the stack's `reserved_concurrent_executions` variable (as a tfvars file would set it). @default its default */
  readonly reservedConcurrency?: number;
  /**
   * Multiplies the stack's time settings to keep runs short: the queue's
   * visibility timeout (whole seconds, at least 1), the function timeout (at
   * least 1 s) and the upstream timeout (at least 500 ms, below the function
   * timeout). Their order is kept, so nothing is redelivered while in flight.
   * @default 1
   */
  readonly timeScale?: number;
  /** The upstream answers each request after this many ms (a slow upstream bounds the delivery rate). @default 0 */
  readonly upstreamDelayMs?: number;
  /** Milliseconds between receives on an empty queue. @default 50 */
  readonly pollIntervalMs?: number;
  readonly seed?: number;
  /** Give up after this many ms. @default 900000 */
  readonly deadlineMs?: number;
  readonly progress?: boolean;
  readonly log?: (level: string, line: string) => void;
}

export interface ProxySettings {
  readonly api2sqs: Block;
  readonly sqs2upstream: Block;
  readonly api2sqsFn: FunctionSettings;
  readonly consumerFn: FunctionSettings;
  readonly queueName: string;
  readonly dlqName: string;
  readonly visibilityTimeoutS: number;
  readonly maxReceiveCount: number;
  readonly maxMessageBytes?: number;
  readonly mapping: QueueMappingSettings;
  readonly stageName: string;
  readonly throttling?: { rate: number; burst: number };
  readonly upstreamTimeoutMs?: number;
}

export function readSettings(stack: SynthesizedStack, vars: Record<string, number>): ProxySettings {
  const [, integration] = single(stack, "aws_apigatewayv2_integration");
  const apiRef = referenceOf(integration.integration_uri);
  if (!apiRef || apiRef.type !== "aws_lambda_function") throw new Error("webhook-proxy: the API integration is not a Lambda function");
  const api2sqs = resource(stack, "aws_lambda_function", apiRef.name);

  const [, mapping] = single(stack, "aws_lambda_event_source_mapping", (b) => referenceOf(b.event_source_arn)?.type === "aws_sqs_queue");
  const queueRef = referenceOf(mapping.event_source_arn)!;
  const queue = resource(stack, "aws_sqs_queue", queueRef.name);
  const consumerRef = referenceOf(mapping.function_name)!;
  const sqs2upstream = resource(stack, "aws_lambda_function", consumerRef.name);

  const redrive = redrivePolicy(stack, queue, vars);
  if (!redrive) throw new Error("webhook-proxy: the queue has no redrive policy with a DLQ and maxReceiveCount");
  const { maxReceiveCount } = redrive;

  const [, stage] = single(stack, "aws_apigatewayv2_stage");
  const routeSettings = stage.default_route_settings as Block | undefined;
  const rate = numberSetting(stack, routeSettings?.throttling_rate_limit, "throttling_rate_limit");
  const burst = numberSetting(stack, routeSettings?.throttling_burst_limit, "throttling_burst_limit");
  const consumerEnv = environmentVariables(sqs2upstream);

  return {
    api2sqs,
    sqs2upstream,
    api2sqsFn: functionSettings(stack, api2sqs),
    consumerFn: functionSettings(stack, sqs2upstream),
    queueName: String(queue.name),
    dlqName: String(resource(stack, "aws_sqs_queue", redrive.deadLetterQueue).name),
    visibilityTimeoutS: numberSetting(stack, queue.visibility_timeout_seconds, "visibility_timeout_seconds") ?? 30,
    maxReceiveCount,
    maxMessageBytes: numberSetting(stack, queue.max_message_size, "max_message_size"),
    mapping: readQueueMapping(stack, mapping, sqs2upstream, vars),
    stageName: String(stage.name),
    throttling: rate !== undefined && burst !== undefined ? { rate, burst } : undefined,
    upstreamTimeoutMs: numberSetting(stack, consumerEnv.UPSTREAM_TIMEOUT_MS, "UPSTREAM_TIMEOUT_MS"),
  };
}

export async function replayWebhookProxy(stack: SynthesizedStack, options: WebhookReplayOptions = {}): Promise<ReplaySummary> {
  const requests = options.requests ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const failRate = options.failRate ?? 0;
  const hangRate = options.hangRate ?? 0;
  const timeScale = options.timeScale ?? 1;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const upstreamDelayMs = options.upstreamDelayMs ?? 0;
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const vars: Record<string, number> = options.reservedConcurrency !== undefined ? { reserved_concurrent_executions: options.reservedConcurrency } : {};
  const s = readSettings(stack, vars);
  const notes: string[] = [];

  // Effective delivery concurrency: the reserved concurrency, and the mapping's maximum concurrency when set.
  const { consumers } = s.mapping;
  const fnTimeoutMs = Math.max(1000, Math.round(s.consumerFn.timeoutMs * timeScale));
  const upstreamTimeoutMs = Math.min(fnTimeoutMs - 300, Math.max(500, Math.round((s.upstreamTimeoutMs ?? 2000) * timeScale)));
  const visibilityS = Math.max(Math.ceil(fnTimeoutMs / 1000), Math.round(s.visibilityTimeoutS * timeScale), 1);

  const expected = new Map<number, Webhook>();
  for (let i = 0; i < requests; i++) expected.set(i, makeWebhook(i, random));

  const engines: Engine[] = [];
  const restore: (() => void)[] = [];
  try {
    const sqs = await startSqs();
    engines.push(sqs);
    const upstream = await startUpstream(expected, failRate, hangRate, new Random(seed + 1), upstreamDelayMs);
    engines.push(upstream);
    const client = sqsClient(sqs);
    const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: s.dlqName }))).QueueUrl!;
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const queueUrl = (
      await client.send(
        new CreateQueueCommand({
          QueueName: s.queueName,
          Attributes: {
            VisibilityTimeout: String(visibilityS),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: s.maxReceiveCount }),
            ...(s.maxMessageBytes ? { MaximumMessageSize: String(s.maxMessageBytes) } : {}),
          },
        }),
      )
    ).QueueUrl!;
    const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${s.queueName}`;

    const resolvers = {
      aws_sqs_queue: (block: Block) =>
        block.name === s.queueName ? { url: queueUrl, id: queueUrl, arn: queueArn, name: s.queueName } : { url: dlqUrl, id: dlqUrl, arn: dlqArn, name: s.dlqName },
    };
    const apiEnv = resolveEnvironment(stack, s.api2sqs, resolvers);
    // UPSTREAM names an HTTPS host in the stack; the handler also takes an http:// URL, for local runs.
    const consumerEnv = { ...resolveEnvironment(stack, { environment: { variables: { ...environmentVariables(s.sqs2upstream), UPSTREAM: "" } } }, resolvers), UPSTREAM: upstream.endpoint, UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs) };
    // Signed webhooks (the stack's default): the secret in a Parameter Store stand-in, each webhook signed with it.
    let sign: Signer | undefined;
    let ssm: Engine | undefined;
    if (apiEnv.SIGNATURE_SECRET_PARAMETER) {
      const secret = randomBytes(32).toString("hex");
      ssm = await startParameterStore({ [apiEnv.SIGNATURE_SECRET_PARAMETER]: secret });
      engines.push(ssm);
      const header = (apiEnv.SIGNATURE_HEADER ?? "").toLowerCase();
      const prefix = apiEnv.SIGNATURE_PREFIX ?? "";
      const encoding = apiEnv.SIGNATURE_ENCODING === "base64" ? "base64" : "hex";
      sign = (body) => ({ [header]: prefix + createHmac("sha256", secret).update(body).digest(encoding) });
      notes.push(`webhooks signed (${header}: ${prefix}<${encoding} HMAC-SHA256>), secret served from ${apiEnv.SIGNATURE_SECRET_PARAMETER}`);
    }
    // Both functions read their settings on each call; they run in this one process, so their variables are merged.
    restore.push(setProcessEnv({ ...awsEnv({ sqs, ssm }), ...apiEnv, ...consumerEnv }));
    const { scratch, errorLines } = handlerSandbox("replay-webhook-", options.log, restore);
    const api2sqs = loadHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(functionCode(stack, s.api2sqs).file, scratch, "api2sqs");
    const sqs2upstream = loadHandler<SQSEvent, SQSBatchResponse | void>(functionCode(stack, s.sqs2upstream).file, scratch, "sqs2upstream");
    const consumerFn = { ...s.consumerFn, timeoutMs: fnTimeoutMs };

    // ---- Counters ----
    const acceptedAt = new Map<number, number>();
    let arrived = 0;
    let rejected = 0;
    const rejectedByStatus = new Map<number, number>();
    let invocations = 0;
    let failedInvocations = 0;
    let producerDone = false;
    let dlqDepth = 0;

    const delivered = (): number => upstream.stats.deliveries.size;
    const progress = new Progress(requests, "webhook-proxy", options.progress);
    const recorder = new Recorder(
      // Backlog: accepted webhooks neither delivered nor dead-lettered yet (in the queue, visible or in flight).
      () => ({ arrived, done: delivered(), deadLettered: dlqDepth, backlog: Math.max(0, acceptedAt.size - delivered() - dlqDepth) }),
      progress,
    );
    const deadline = Date.now() + (options.deadlineMs ?? 900_000);
    const depthTimer = setInterval(() => {
      void queueDepth(client, dlqUrl)
        .then((d) => {
          dlqDepth = Math.max(dlqDepth, d.visible + d.inFlight);
        })
        .catch(() => undefined);
    }, 200);

    /**
     * The mapping's pollers: failed batches reappear after the visibility timeout,
     * and local-aws-sqs moves a message to the DLQ once received maxReceiveCount times.
     */
    const consume = (): Promise<void> =>
      consumeQueue({
        client,
        queueUrl,
        queueArn,
        settings: s.mapping,
        senderId: "replay",
        idleMs: pollIntervalMs,
        invoke: (event) => {
          invocations++;
          return invoke(sqs2upstream, consumerFn, event);
        },
        shouldStop: () => Date.now() > deadline,
        producerDone: () => producerDone,
        onBatch: (_, outcome) => {
          if ("error" in outcome) failedInvocations++;
        },
      });
    const pollers = Array.from({ length: consumers }, consume);

    // ---- The senders: a burst of webhooks through API Gateway -> api2sqs ----
    const bucket = s.throttling ? new TokenBucket(s.throttling.rate, s.throttling.burst) : undefined;
    const sendStart = Date.now();
    const apiFn = s.api2sqsFn;
    await mapPool(requests, concurrency, async (i) => {
      const hook = expected.get(i)!;
      let status: number;
      if (bucket && !bucket.take()) status = 429;
      else {
        try {
          status = (await invoke(api2sqs, apiFn, apiEvent(hook, s.stageName, sign))).statusCode ?? 200;
        } catch {
          status = 502; // an HTTP API answers a failed Lambda invocation with 500/502
        }
      }
      arrived++;
      if (status >= 200 && status < 300) acceptedAt.set(i, Date.now());
      else {
        rejected++;
        rejectedByStatus.set(status, (rejectedByStatus.get(status) ?? 0) + 1);
      }
    });
    const sendMs = Date.now() - sendStart;
    producerDone = true;
    await Promise.all(pollers);
    clearInterval(depthTimer);

    // ---- Verify: every accepted webhook delivered, or in the DLQ ----
    const inDlq = new Set<number>();
    for (;;) {
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }));
      if (!got.Messages?.length) break;
      for (const m of got.Messages) {
        try {
          const parsed = JSON.parse(m.Body ?? "") as { headers?: Record<string, string> };
          inDlq.add(Number(parsed.headers?.["x-webhook-id"]));
        } catch {
          notes.push("a DLQ message is not a webhook message");
        }
      }
    }
    dlqDepth = inDlq.size;
    const samples = recorder.stop();

    let duplicates = 0;
    let lost = 0;
    let deadOnly = 0;
    const latencies: number[] = [];
    for (const [id, at] of acceptedAt) {
      const count = upstream.stats.deliveries.get(id) ?? 0;
      if (count > 1) duplicates += count - 1;
      if (count > 0) latencies.push(upstream.stats.firstDeliveredAt.get(id)! - at);
      else if (inDlq.has(id)) deadOnly++;
      else lost++;
    }
    const lastDelivery = Math.max(0, ...upstream.stats.firstDeliveredAt.values());

    // What the upstream saw, always: a run can dead-letter everything while the upstream answered 2xx (too late).
    const u = upstream.stats;
    notes.push(
      `upstream: ${u.requests} request(s) for ${u.received.size} of ${acceptedAt.size} accepted webhook(s), ${u.answeredOk} answered 2xx` +
        (u.answeredLate > 0 ? ` (${u.answeredLate} after the handler had given up at its ${upstreamTimeoutMs} ms upstream timeout: not deliveries)` : "") +
        `, ${u.failed} failed and ${u.hung} hung on purpose`,
    );
    if (upstreamDelayMs > 0 && upstreamDelayMs >= upstreamTimeoutMs) {
      notes.push(
        `the upstream answers after ${upstreamDelayMs} ms (--upstream-delay-ms), not before the handler's upstream timeout of ${upstreamTimeoutMs} ms` +
          `${timeScale !== 1 ? ` (scaled by ${timeScale})` : ""}: no delivery can succeed; raise --time-scale or lower --upstream-delay-ms`,
      );
    }
    if (upstream.stats.corrupted > 0) notes.push(`${upstream.stats.corrupted} request(s) arrived with a body, signature or target that differs from what was sent`);
    if (deadOnly > 0) notes.push(`${deadOnly} webhook(s) only in the DLQ (received ${s.maxReceiveCount} times without a delivery)`);
    if (duplicates > 0) notes.push("duplicates: deliveries the upstream answered after the handler gave up (at-least-once delivery)");
    if (rejectedByStatus.size > 0) notes.push(`rejected by status: ${[...rejectedByStatus].map(([k, v]) => `${k}: ${v}`).join(", ")} (the sender would retry)`);
    if (errorLines() > 0) notes.push(`${errorLines()} error line(s) in the handlers' logs`);
    if (timeScale !== 1) notes.push(`time scaled by ${timeScale}: visibility ${visibilityS} s (stack: ${s.visibilityTimeoutS} s), function timeout ${fnTimeoutMs} ms, upstream timeout ${upstreamTimeoutMs} ms`);
    if (upstream.stats.maxActive > consumers) notes.push(`the upstream saw ${upstream.stats.maxActive} concurrent requests, above the limit of ${consumers}`);
    if (Date.now() > deadline) notes.push("deadline reached before the queue was drained");

    return {
      stack: stack.id,
      settings: {
        requests,
        concurrency,
        failRate,
        hangRate,
        seed,
        timeScale,
        upstreamDelayMs,
        consumers,
        batchSize: s.mapping.batchSize,
        maxReceiveCount: s.maxReceiveCount,
        visibilityTimeoutS: visibilityS,
      },
      sent: requests,
      accepted: acceptedAt.size,
      rejected,
      delivered: [...acceptedAt.keys()].filter((id) => upstream.stats.deliveries.has(id)).length,
      duplicates,
      deadLettered: [...acceptedAt.keys()].filter((id) => inDlq.has(id)).length,
      lost,
      invocations,
      failedInvocations,
      maxConcurrency: upstream.stats.maxActive,
      concurrencyLimit: consumers,
      durationMs: samples[samples.length - 1].t,
      acceptRate: acceptedAt.size / Math.max(0.001, sendMs / 1000),
      throughput: upstream.stats.firstDeliveredAt.size / Math.max(0.001, (lastDelivery - sendStart) / 1000),
      latency: latencyOf(latencies),
      notes,
      samples,
    };
  } finally {
    for (const undo of restore.reverse()) undo();
    await Promise.all(engines.map((e) => e.stop()));
  }
}
