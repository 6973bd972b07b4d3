/**
 * A REST API's API keys and usage plans played from cdk.tf.json: every
 * `aws_api_gateway_api_key` instance (`for_each` over a set variable expanded
 * with the variable's default, as an apply without tfvars would) gets a fresh
 * local key value; `aws_api_gateway_usage_plan_key` ties it to its
 * `aws_api_gateway_usage_plan` instance, whose `throttle_settings` (rate and
 * burst, a token bucket per key) and `quota_settings` (requests per UTC day,
 * week or month; `offset` not modelled) are enforced on the methods that
 * require a key, answering as API Gateway does: 429 `Too Many Requests` over
 * the throttle, 429 `Limit Exceeded` over the quota, 403 `Forbidden` for a key
 * that is unknown or in no usage plan.
 */
import { randomBytes } from "node:crypto";
import { TokenBucket } from "../emulator/apigateway";
import { type Block, evaluate, numberSetting, resources, type SynthesizedStack } from "../emulator/synth";

export interface UsagePlan {
  /** `usage_plan.name` with `each.value` filled in. */
  readonly name: string;
  readonly rate?: number;
  readonly burst?: number;
  readonly quota?: { readonly limit: number; readonly period: "DAY" | "WEEK" | "MONTH" };
}

export interface LocalApiKey {
  /** The value to send as `x-api-key` (fresh at each start unless the stack sets `value`). */
  readonly value: string;
  /** The key's instance: `each.key` of a `for_each` key (a client name), else the resource name. */
  readonly client: string;
  /** The usage plan the key belongs to; none: API Gateway refuses the key (403). */
  readonly plan?: UsagePlan;
  /** The stack defines no API keys (they are made elsewhere): one local key, taken without limits. */
  readonly unlimited?: true;
}

export type KeyVerdict = { ok: true } | { ok: false; status: 403 | 429; message: string };

export interface ApiKeys {
  readonly keys: readonly LocalApiKey[];
  /** The check of a method with `api_key_required`, counting the request against the key's plan. */
  check(value: string | undefined): KeyVerdict;
}

/** `each.key` of every instance of a block: `[""]` without `for_each`; with one, the keys of its list (`toset(var.x)`) or map. */
export function instanceKeys(stack: SynthesizedStack, block: Block, what: string): string[] {
  const forEach = block.for_each;
  if (forEach === undefined) return [""];
  const value = evaluate(stack, forEach);
  if (Array.isArray(value)) return [...new Set(value.map(String))];
  if (value && typeof value === "object") return Object.keys(value);
  throw new Error(`${stack.id}: the for_each of ${what} is neither a list nor a map: ${JSON.stringify(forEach)}`);
}

/** A block that Terraform JSON may hold as an object or a one-element list. */
const nested = (value: unknown): Block | undefined => (Array.isArray(value) ? (value[0] as Block | undefined) : (value as Block | undefined));

const fill = (text: unknown, eachKey: string): string => String(text ?? "").replace(/\$\{each\.(?:key|value)\}/g, eachKey);

/** `${aws_x.name[each.key].id}` or `${aws_x.name["k"].id}` or `${aws_x.name.id}` -> [name, instance key]. */
function instanceRef(stack: SynthesizedStack, value: unknown, type: string, eachKey: string): [string, string] {
  const m = new RegExp(`^\\$\\{${type}\\.([A-Za-z0-9_-]+)(?:\\[(each\\.key|"[^"]*")\\])?\\.id\\}$`).exec(String(value));
  if (!m) throw new Error(`${stack.id}: cannot read the reference ${String(value)} to ${type} locally`);
  const index = m[2] === undefined ? "" : m[2] === "each.key" ? eachKey : m[2].slice(1, -1);
  return [m[1], index];
}

function readPlan(stack: SynthesizedStack, block: Block, eachKey: string): UsagePlan {
  const throttle = nested(block.throttle_settings);
  const quota = nested(block.quota_settings);
  const rate = numberSetting(stack, throttle?.rate_limit, "throttle_settings.rate_limit");
  const burst = numberSetting(stack, throttle?.burst_limit, "throttle_settings.burst_limit");
  const limit = numberSetting(stack, quota?.limit, "quota_settings.limit");
  const period = String(evaluate(stack, quota?.period ?? "DAY"));
  if (quota && period !== "DAY" && period !== "WEEK" && period !== "MONTH") throw new Error(`${stack.id}: usage plan quota period ${period} is not DAY, WEEK or MONTH`);
  return {
    name: fill(block.name, eachKey),
    rate,
    burst,
    quota: limit !== undefined ? { limit, period: period as "DAY" | "WEEK" | "MONTH" } : undefined,
  };
}

/** The UTC day, week (from Sunday) or month a request falls in. */
function quotaWindow(period: "DAY" | "WEEK" | "MONTH", now: number): string {
  const d = new Date(now);
  if (period === "MONTH") return `${d.getUTCFullYear()}-${d.getUTCMonth()}`;
  const day = Math.floor(now / 86_400_000);
  // 1970-01-01 was a Thursday: day 4 of the week counted from Sunday 1969-12-28 (day 0).
  return period === "DAY" ? String(day) : String(Math.floor((day + 4) / 7));
}

/** The stack's API keys and the usage plan of each; one local key without limits when the stack defines none. */
export function readApiKeys(stack: SynthesizedStack): ApiKeys {
  const plans = new Map<string, UsagePlan>();
  for (const [name, block] of resources(stack, "aws_api_gateway_usage_plan")) {
    for (const k of instanceKeys(stack, block, `aws_api_gateway_usage_plan.${name}`)) plans.set(`${name}[${k}]`, readPlan(stack, block, k));
  }
  const planOfKey = new Map<string, UsagePlan>();
  for (const [name, block] of resources(stack, "aws_api_gateway_usage_plan_key")) {
    for (const k of instanceKeys(stack, block, `aws_api_gateway_usage_plan_key.${name}`)) {
      const [keyName, keyIndex] = instanceRef(stack, block.key_id, "aws_api_gateway_api_key", k);
      const [planName, planIndex] = instanceRef(stack, block.usage_plan_id, "aws_api_gateway_usage_plan", k);
      const plan = plans.get(`${planName}[${planIndex}]`);
      if (!plan) throw new Error(`${stack.id}: usage plan key ${name}[${k}] names a usage plan instance that does not exist`);
      planOfKey.set(`${keyName}[${keyIndex}]`, plan);
    }
  }
  const keys: LocalApiKey[] = [];
  for (const [name, block] of resources(stack, "aws_api_gateway_api_key")) {
    if (block.enabled === false) continue;
    for (const k of instanceKeys(stack, block, `aws_api_gateway_api_key.${name}`)) {
      const literal = typeof block.value === "string" && !block.value.includes("${") ? block.value : undefined;
      keys.push({ value: literal ?? `local-${randomBytes(12).toString("hex")}`, client: k || name, plan: planOfKey.get(`${name}[${k}]`) });
    }
  }
  if (resources(stack, "aws_api_gateway_api_key").length === 0) keys.push({ value: `local-${randomBytes(12).toString("hex")}`, client: "local", unlimited: true });
  const limits = new Map(
    keys.map((key) => [
      key.value,
      {
        key,
        bucket: key.plan?.rate !== undefined && key.plan.burst !== undefined ? new TokenBucket(key.plan.rate, key.plan.burst) : undefined,
        used: { window: "", count: 0 },
      },
    ]),
  );
  return {
    keys,
    check(value) {
      const found = value === undefined ? undefined : limits.get(value);
      if (!found) return { ok: false, status: 403, message: "Forbidden" };
      if (found.key.unlimited) return { ok: true };
      if (!found.key.plan) return { ok: false, status: 403, message: "Forbidden" };
      // The quota first: a request refused for it takes no throttle token; one refused by the throttle counts for no quota.
      const quota = found.key.plan.quota;
      if (quota) {
        const window = quotaWindow(quota.period, Date.now());
        if (found.used.window !== window) found.used = { window, count: 0 };
        if (found.used.count >= quota.limit) return { ok: false, status: 429, message: "Limit Exceeded" };
      }
      if (found.bucket && !found.bucket.take()) return { ok: false, status: 429, message: "Too Many Requests" };
      if (quota) found.used.count++;
      return { ok: true };
    },
  };
}

/** One line on a key's limits for the start banner. */
export function describeKey({ plan, unlimited }: LocalApiKey): string {
  if (unlimited) return "the stack defines no API keys: a local key without usage plan limits";
  if (!plan) return "in no usage plan: refused (403), as API Gateway does";
  const limits: string[] = [];
  if (plan.rate !== undefined && plan.burst !== undefined) limits.push(`${plan.rate} rps, burst ${plan.burst}`);
  if (plan.quota) limits.push(`${plan.quota.limit} requests per ${plan.quota.period} (UTC)`);
  return `usage plan ${plan.name}: ${limits.length ? limits.join(", ") : "no limits"}`;
}
