/** The kinesis-ingest stack, synthesized, and typed access to the parts the tests read. */
import { Testing } from "cdktf";
import { render } from "velocityjs";
import { defaultEnvironment, offlineLookups } from "../../config";
import { EnvironmentConfig } from "../../constructs/environment";
import { KinesisIngestStack, KinesisIngestStackProps } from "../../stacks/kinesis-ingest";

export type Block = Record<string, unknown>;

export interface Synthesized {
  /** The JSON string Testing.synth returns, for the cdktf matchers. */
  readonly json: string;
  /** `resource` of the parsed JSON: type -> logical id -> block. */
  readonly resources: Record<string, Record<string, Block>>;
  readonly data: Record<string, Record<string, Block>>;
  readonly variables: Record<string, Block>;
  readonly outputs: Record<string, Block>;
}

export function synthesize(
  env: EnvironmentConfig = defaultEnvironment,
  props: Omit<KinesisIngestStackProps, "env"> = {},
): Synthesized {
  const stack = new KinesisIngestStack(Testing.app(), "kinesis-ingest", { env, ...props });
  const json = Testing.synth(stack);
  const parsed = JSON.parse(json) as {
    resource?: Synthesized["resources"];
    data?: Synthesized["data"];
    variable?: Synthesized["variables"];
    output?: Synthesized["outputs"];
  };
  return {
    json,
    resources: parsed.resource ?? {},
    data: parsed.data ?? {},
    variables: parsed.variable ?? {},
    outputs: parsed.output ?? {},
  };
}

/** The environment `OFFLINE=1` uses: every lookup supplied. */
export const offlineEnvironment: EnvironmentConfig = {
  ...defaultEnvironment,
  lookups: offlineLookups,
  lambdaPackaging: "asset",
  offline: true,
};

/** The blocks of one resource type (fails when there is none). */
export function blocksOf(synth: Synthesized, type: string): Block[] {
  const blocks = Object.values(synth.resources[type] ?? {});
  if (blocks.length === 0) throw new Error(`No ${type} in the synthesized stack`);
  return blocks;
}

/** The only block of a resource type (fails unless there is exactly one). */
export function onlyOf(synth: Synthesized, type: string): Block {
  const blocks = blocksOf(synth, type);
  if (blocks.length !== 1) throw new Error(`Expected one ${type}, found ${blocks.length}`);
  return blocks[0];
}

/** The literal status code of an integration response, following its reference to the method response. */
function statusOf(synth: Synthesized, value: unknown): string {
  const ref = /^\$\{aws_api_gateway_method_response\.([\w-]+)\.status_code\}$/.exec(String(value));
  if (!ref) return String(value);
  const methodResponse = synth.resources.aws_api_gateway_method_response?.[ref[1]];
  if (!methodResponse) throw new Error(`${String(value)} refers to no method response`);
  return String(methodResponse.status_code);
}

/** The integration responses, by status code. */
export function integrationResponses(synth: Synthesized): Map<string, { pattern: string; template: string }> {
  return new Map(
    blocksOf(synth, "aws_api_gateway_integration_response").map((block) => [
      statusOf(synth, block.status_code),
      {
        pattern: String(block.selection_pattern ?? ""),
        template: String((block.response_templates as Record<string, string> | undefined)?.["application/json"] ?? ""),
      },
    ]),
  );
}

/**
 * The integration response API Gateway picks for an integration status: the
 * first whose selection pattern (a regex over the whole status) matches,
 * else the default (empty pattern).
 */
export function selectResponse(
  responses: Map<string, { pattern: string; template: string }>,
  integrationStatus: number,
): string | undefined {
  for (const [status, { pattern }] of responses) {
    if (pattern !== "" && new RegExp(`^(?:${pattern})$`).test(String(integrationStatus))) return status;
  }
  for (const [status, { pattern }] of responses) if (pattern === "") return status;
  return undefined;
}

export interface Rendered {
  readonly output: string;
  /** What the template set in `$context.responseOverride.status`, if anything. */
  readonly statusOverride?: number;
}

/**
 * Renders an API Gateway mapping template with velocityjs, providing what the
 * templates here use: `$input.body`, `$input.path('$.field')` (top-level
 * fields of the JSON body), `$util.base64Encode` (of the UTF-8 bytes, as API
 * Gateway does), `$context.requestId` and `$context.responseOverride`.
 */
export function renderTemplate(template: string, body: string, requestId: string): Rendered {
  const responseOverride: { status?: number } = {};
  const output = render(template, {
    input: {
      body,
      path: (path: string): unknown => {
        const field = /^\$\.(\w+)$/.exec(path);
        if (!field) throw new Error(`renderTemplate supports $.field paths only, got ${path}`);
        try {
          return (JSON.parse(body) as Record<string, unknown>)[field[1]];
        } catch {
          return undefined;
        }
      },
    },
    util: { base64Encode: (text: string) => Buffer.from(text, "utf8").toString("base64") },
    context: { requestId, responseOverride },
  });
  return { output, statusOverride: responseOverride.status };
}
