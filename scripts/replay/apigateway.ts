/**
 * The parts of API Gateway a replay needs, played from the synthesized
 * settings: Velocity mapping templates (velocityjs), integration response
 * selection by status pattern, and stage throttling (token bucket).
 */
import { render } from "velocityjs";

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
 * The method response for an integration status, as API Gateway chooses it
 * for an AWS integration: the pattern that matches the whole status code,
 * else the default (empty) pattern. Returns the final status (after any
 * `responseOverride`) and the body.
 */
export function selectResponse(
  responses: readonly IntegrationResponse[],
  integrationStatus: number,
  integrationBody: string,
  requestId: string,
): { status: number; body: string } {
  const code = String(integrationStatus);
  const match =
    responses.find((r) => r.selectionPattern && new RegExp(`^(?:${r.selectionPattern})$`).test(code)) ??
    responses.find((r) => !r.selectionPattern);
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
