/**
 * The parts of API Gateway a replay, `npm run local` and the tests need,
 * played from the synthesized settings: Velocity mapping templates
 * (velocityjs), integration response selection by status pattern, and stage
 * throttling (token bucket). The one emulator of each: tests import it from here.
 */
import { render } from "velocityjs";
import { resolveLiterals, resources, SynthesizedStack } from "./synth";

export interface Rendered {
  readonly output: string;
  /** What the template set in `$context.responseOverride.status`, if anything. */
  readonly statusOverride?: number;
}

/**
 * Renders a mapping template with what the stacks' templates use:
 * `$input.body`, `$input.path('$.field')` (top-level fields of a JSON body),
 * `$util.base64Encode` (of the UTF-8 bytes, as API Gateway does),
 * `$context.requestId` and `$context.responseOverride.status`.
 */
export function renderTemplate(template: string, body: string, requestId: string): Rendered {
  const responseOverride: { status?: number } = {};
  let parsed: unknown;
  const field = (p: string): unknown => {
    const m = /^\$\.(\w+)$/.exec(p);
    if (!m) throw new Error(`only $.field paths are supported, got ${p}`);
    if (parsed === undefined) {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = null;
      }
    }
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>)[m[1]] : undefined;
  };
  const output = render(template, {
    input: { body, path: field, json: (p: string) => JSON.stringify(field(p)) },
    util: {
      base64Encode: (text: string) => Buffer.from(String(text), "utf8").toString("base64"),
      escapeJavaScript: (text: string) => JSON.stringify(String(text)).slice(1, -1),
    },
    context: { requestId, responseOverride },
  });
  return { output, statusOverride: responseOverride.status === undefined ? undefined : Number(responseOverride.status) };
}

export interface IntegrationResponse {
  readonly statusCode: string;
  /** `selection_pattern`; empty or absent: the default response. */
  readonly selectionPattern?: string;
  readonly template?: string;
}

/**
 * The integration responses of a REST API stack, as API Gateway has them:
 * each status code a literal (a reference to a method response resolved).
 */
export function integrationResponses(stack: SynthesizedStack): IntegrationResponse[] {
  return resources(stack, "aws_api_gateway_integration_response").map(([, r]) => integrationResponse(stack, r));
}

/** One synthesized `aws_api_gateway_integration_response` block, as the emulator reads it. */
export function integrationResponse(stack: SynthesizedStack, block: Record<string, unknown>): IntegrationResponse {
  return {
    statusCode: resolveLiterals(stack, String(block.status_code)),
    selectionPattern: typeof block.selection_pattern === "string" ? block.selection_pattern : undefined,
    template: (block.response_templates as Record<string, string> | undefined)?.["application/json"],
  };
}

/**
 * The integration response API Gateway picks for an integration status of an
 * AWS integration: the first whose selection pattern matches the whole status
 * code, else the default (empty pattern); none: undefined.
 */
export function matchResponse(responses: readonly IntegrationResponse[], integrationStatus: number): IntegrationResponse | undefined {
  const code = String(integrationStatus);
  return (
    responses.find((r) => r.selectionPattern && new RegExp(`^(?:${r.selectionPattern})$`).test(code)) ??
    responses.find((r) => !r.selectionPattern)
  );
}

/**
 * The answer API Gateway gives for an integration status and body: the
 * matching response's status (after any `responseOverride`) and its rendered
 * template; no matching response: API Gateway's 500.
 */
export function selectResponse(
  responses: readonly IntegrationResponse[],
  integrationStatus: number,
  integrationBody: string,
  requestId: string,
): { status: number; body: string } {
  const match = matchResponse(responses, integrationStatus);
  if (!match) return { status: 500, body: '{"message": "Internal server error"}' };
  if (!match.template) return { status: Number(match.statusCode), body: integrationBody };
  const rendered = renderTemplate(match.template, integrationBody, requestId);
  return { status: rendered.statusOverride ?? Number(match.statusCode), body: rendered.output };
}

/** Stage throttling: a token bucket of `burst` tokens refilled at `rate` per second; an empty bucket answers 429. */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
