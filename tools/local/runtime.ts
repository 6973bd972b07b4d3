/**
 * What a stack needs under its entry points, made from cdk.tf.json: the local
 * engines its resources live on (dynalite, kinesalite, local-aws-sqs), its
 * tables, streams and queues created under the names synth gave them, and
 * its Lambda functions (the bundles synth wrote) loaded with their
 * environment pointed at the local resources.
 */
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import {
  ACCOUNT_ID,
  awsEnv,
  dynamoClient,
  type Engine,
  kinesisClient,
  REGION,
  setProcessEnv,
  sqsClient,
  type EngineName,
  startEngines,
  startThrottlingProxy,
} from "../emulator/engines";
import { Random } from "../emulator/random";
import { handlerSandbox, type FunctionSettings, type Handler, invoke, loadHandler } from "../emulator/handler";
import { createStream, createTable, functionSettings } from "../emulator/resources";
import { type Block, environmentVariables, evaluate, functionCode, numberSetting, redrivePolicy, resolveLocal, resources, type SynthesizedStack } from "../emulator/synth";
import { resolveEnvironment, type Resolvers } from "../emulator/util";

export interface LocalEngines {
  dynamodb?: Engine;
  kinesis?: Engine;
  sqs?: Engine;
  /** Extra AWS endpoints the handlers call (the Amazon Translate stand-in). */
  readonly extra: Record<string, string>;
}

/** A Lambda function of the stack, loaded from its bundle. */
export interface LocalFunction {
  /** Terraform name of the `aws_lambda_function` block. */
  readonly resourceName: string;
  readonly settings: FunctionSettings;
  readonly block: Block;
  invoke<R>(event: unknown): Promise<R>;
}

export interface LocalRuntime {
  readonly stack: SynthesizedStack;
  /** The region the stack deploys to (its default `aws` provider's): what SigV4 clients sign for. */
  readonly region: string;
  readonly engines: LocalEngines;
  /** `aws_<type>.<name>` -> the local resource's attributes (name, arn, url). */
  readonly resolvers: Resolvers;
  readonly functions: Map<string, LocalFunction>;
  /** Local URL of each queue, by Terraform name. */
  readonly queueUrls: Map<string, string>;
  stop(): Promise<void>;
}

/**
 * The region of the stack's default `aws` provider block (the one without an
 * alias) in cdk.tf.json: `AWS_REGION` at synth. The project default when the
 * block names none.
 */
export function providerRegion(stack: SynthesizedStack): string {
  const providers = (stack.json as { provider?: Record<string, Block[] | undefined> }).provider?.aws ?? [];
  const region = providers.find((p) => p.alias === undefined)?.region;
  if (region === undefined) return REGION;
  const value = evaluate(stack, region);
  if (typeof value !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(value)) throw new Error(`${stack.id}: the aws provider's region ${JSON.stringify(region)} is not a region name`);
  return value;
}

const arn = (service: string, resource: string): string => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;

/** Which engines the stack's resources need. */
async function startStackEngines(stack: SynthesizedStack, started: Engine[]): Promise<LocalEngines> {
  const needed: Record<EngineName, string> = { dynamodb: "aws_dynamodb_table", kinesis: "aws_kinesis_stream", sqs: "aws_sqs_queue" };
  const names = (Object.keys(needed) as EngineName[]).filter((name) => resources(stack, needed[name]).length > 0);
  return { ...(await startEngines(names, started)), extra: {} };
}

async function createTables(stack: SynthesizedStack, engine: Engine): Promise<void> {
  const client = dynamoClient(engine);
  try {
    for (const [, table] of resources(stack, "aws_dynamodb_table")) await createTable(client, table);
  } finally {
    client.destroy();
  }
}

async function createStreams(stack: SynthesizedStack, engine: Engine): Promise<void> {
  const client = kinesisClient(engine);
  try {
    for (const [, stream] of resources(stack, "aws_kinesis_stream")) await createStream(client, String(stream.name), numberSetting(stack, stream.shard_count, "shard_count") ?? 1);
  } finally {
    client.destroy();
  }
}

/** Queues with their visibility timeout, size limit and redrive (dead-letter queues first). */
async function createQueues(stack: SynthesizedStack, engine: Engine): Promise<Map<string, string>> {
  const client = sqsClient(engine);
  const urls = new Map<string, string>();
  try {
    const queues = resources(stack, "aws_sqs_queue").sort(([, a], [, b]) => Number(a.redrive_policy !== undefined) - Number(b.redrive_policy !== undefined));
    for (const [name, queue] of queues) {
      const attributes: Record<string, string> = {};
      const visibility = numberSetting(stack, queue.visibility_timeout_seconds, "visibility_timeout_seconds");
      if (visibility !== undefined) attributes.VisibilityTimeout = String(visibility);
      const maxSize = numberSetting(stack, queue.max_message_size, "max_message_size");
      if (maxSize !== undefined) attributes.MaximumMessageSize = String(maxSize);
      const redrive = redrivePolicy(stack, queue);
      if (redrive) {
        const dlqName = String(stack.json.resource?.aws_sqs_queue?.[redrive.deadLetterQueue]?.name);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn("sqs", dlqName), maxReceiveCount: redrive.maxReceiveCount });
      }
      const url = (await client.send(new CreateQueueCommand({ QueueName: String(queue.name), Attributes: attributes }))).QueueUrl!;
      // The queue exists before a function or mapping uses it.
      await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
      urls.set(name, url);
    }
  } finally {
    client.destroy();
  }
  return urls;
}

function resolversFor(stack: SynthesizedStack, queueUrls: Map<string, string>): Resolvers {
  return {
    aws_dynamodb_table: (block) => ({ name: String(block.name), arn: arn("dynamodb", `table/${String(block.name)}`) }),
    aws_kinesis_stream: (block) => ({ name: String(block.name), arn: arn("kinesis", `stream/${String(block.name)}`) }),
    aws_sqs_queue: (block, name) => {
      const url = queueUrls.get(name) ?? "";
      return { url, id: url, name: String(block.name), arn: arn("sqs", String(block.name)) };
    },
    aws_lambda_function: (block) => ({ function_name: String(resolveLocal(stack, block.function_name)), arn: arn("lambda", `function:${String(resolveLocal(stack, block.function_name))}`) }),
  };
}

/**
 * A function's environment as Terraform would set it, with the local resources' values
 * (`resolveEnvironment`) and `overrides` in place of the stack's.
 */
export function functionEnvironment(stack: SynthesizedStack, fn: Block, resolvers: Resolvers, overrides: Record<string, string> = {}): Record<string, string> {
  const variables = Object.fromEntries(Object.entries(environmentVariables(fn)).filter(([key]) => !(key in overrides)));
  return { ...resolveEnvironment(stack, { environment: { variables } }, resolvers), ...overrides };
}

export interface RuntimeOptions {
  /** Environment values set instead of the stack's, by function resource name (e.g. `UPSTREAM`). */
  readonly environmentOverrides?: (fn: Block, name: string) => Record<string, string>;
  /** Extra AWS endpoints (`AWS_ENDPOINT_URL_<SERVICE>`) the functions use. */
  readonly extraEndpoints?: Record<string, string>;
  /** Share of BatchWriteItem puts the functions see answered as UnprocessedItems (the replay's throttling proxy). @default 0 */
  readonly throttleRate?: number;
  /** Where the handlers' log lines go. */
  readonly log: (line: string) => void;
}

/**
 * Starts the engines, creates the resources and loads every function. All
 * functions run in this process: the AWS settings (region, credentials,
 * engine endpoints) are shared; a function's own variables are set while its
 * bundle loads (module-scope configuration reads them then) and stay set for
 * its calls unless another function gives the same name another value (two
 * `TABLE_NAME`s): such a name is left unset afterwards, so a handler that
 * reads it per call fails loudly rather than using the other function's table.
 */
export async function startRuntime(stack: SynthesizedStack, options: RuntimeOptions): Promise<LocalRuntime> {
  const started: Engine[] = [];
  const restore: (() => void)[] = [];
  const stop = async (): Promise<void> => {
    for (const undo of restore.reverse()) undo();
    await Promise.all(started.map((e) => e.stop()));
  };
  try {
    const region = providerRegion(stack);
    const engines = await startStackEngines(stack, started);
    Object.assign(engines.extra, options.extraEndpoints ?? {});
    if (engines.dynamodb) await createTables(stack, engines.dynamodb);
    if (engines.kinesis) await createStreams(stack, engines.kinesis);
    const queueUrls = engines.sqs ? await createQueues(stack, engines.sqs) : new Map<string, string>();
    const resolvers = resolversFor(stack, queueUrls);

    const extraEnv = Object.fromEntries(Object.entries(engines.extra).map(([service, url]) => [`AWS_ENDPOINT_URL_${service.toUpperCase()}`, url]));
    // The functions reach DynamoDB through the throttling proxy when that fault is on; the printed endpoint stays dynalite's.
    let functionsDynamo = engines.dynamodb;
    if (engines.dynamodb && (options.throttleRate ?? 0) > 0) {
      functionsDynamo = await startThrottlingProxy(engines.dynamodb, options.throttleRate!, new Random(1));
      started.push(functionsDynamo);
    }
    restore.push(setProcessEnv({ ...awsEnv({ ...engines, dynamodb: functionsDynamo }), ...extraEnv }));

    const blocks = resources(stack, "aws_lambda_function");
    const envs = new Map(blocks.map(([name, block]) => [name, functionEnvironment(stack, block, resolvers, options.environmentOverrides?.(block, name) ?? {})]));
    const values = new Map<string, Set<string>>();
    for (const env of envs.values()) for (const [k, v] of Object.entries(env)) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(v);
    const shared = Object.fromEntries([...values].filter(([, v]) => v.size === 1).map(([k, v]) => [k, [...v][0]]));
    const conflicting = Object.fromEntries([...values].filter(([, v]) => v.size > 1).map(([k]) => [k, undefined]));
    restore.push(setProcessEnv(shared));

    const { scratch } = handlerSandbox("local-functions-", (level, line) => options.log(`  | ${level === "log" ? "info" : level} ${line}`), restore);
    const functions = new Map<string, LocalFunction>();
    for (const [name, block] of blocks) {
      const undo = setProcessEnv(envs.get(name)!);
      let handler: Handler<unknown, unknown>;
      try {
        handler = loadHandler<unknown, unknown>(functionCode(stack, block), scratch, name);
      } finally {
        undo();
        setProcessEnv(conflicting);
      }
      const settings = functionSettings(stack, block);
      functions.set(name, { resourceName: name, settings, block, invoke: async <R>(event: unknown) => (await invoke(handler, settings, event)) as R });
    }
    return { stack, region, engines, resolvers, functions, queueUrls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
