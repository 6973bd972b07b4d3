/**
 * The one way a handler reads its environment. Every setting is read by one of
 * these functions, and every missing or invalid setting is the same failure:
 * a `ConfigError` naming the variable and the rule it broke (never `undefined`
 * passed on, never `NaN`).
 *
 * Settings are read inside the handler's error boundary, never by a bare
 * module-scope statement: there a throw is an init crash that answers nothing
 * (API Gateway or the ALB answer a bare 502). Values built from settings and
 * kept per container (SDK clients) go through `lazy`. In the boundary a
 * ConfigError is logged once as `{"event":"config_error",...}` and becomes the
 * handler's failure: a 500 JSON answer (`answer` / `failureOf` in `http.ts`,
 * `mediaHandler` in the media API), or for a batch handler (`readSettings`) a
 * failed invocation, so the whole batch returns to its source and the Errors
 * alarm fires. A 500 counts in each API's 5xx alarm (the ALB's target 5xx alarm for media-alb).
 *
 * No AWS SDK import here: cheap to load, and shared by every handler.
 */

/** The structured logger, loaded on first use: the stacks import this file's readers at synth, where Powertools is not loaded. */
function logger(): { error(message: string, attributes: Record<string, unknown>): void } {
  return (require("./observability") as { log(): { error(message: string, attributes: Record<string, unknown>): void } }).log();
}

/** What the functions read from: `process.env` in Lambda, a plain object in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A setting the function cannot run with. */
export class ConfigError extends Error {
  constructor(
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface RequiredStringOptions {
  /** Accept an empty value (e.g. an empty allow-list); only an unset variable is missing. @default false */
  readonly allowEmpty?: boolean;
}

/** The value; unset (or, unless `allowEmpty`, empty) is a ConfigError. */
export function requiredString(name: string, env: Environment = process.env, options: RequiredStringOptions = {}): string {
  const value = env[name];
  if (value === undefined || (value === "" && !options.allowEmpty)) throw new ConfigError(name, `${name} is not set.`);
  return value;
}

export interface StringRule {
  /** Used when the variable is unset (and when it is empty, unless `keepEmpty`). */
  readonly default: string;
  /** An empty value is a value (e.g. "no prefix"), not a request for the default. @default false */
  readonly keepEmpty?: boolean;
}

/** The value, or the rule's default when the variable is unset or (unless `keepEmpty`) empty. */
export function optionalString(name: string, rule: StringRule, env: Environment = process.env): string {
  const value = env[name];
  if (value === undefined || (value === "" && !rule.keepEmpty)) return rule.default;
  return value;
}

export interface IntegerRule {
  /** Smallest value accepted (inclusive). */
  readonly min: number;
  /** Largest value accepted (inclusive). @default Number.MAX_SAFE_INTEGER */
  readonly max?: number;
  /** Used when the variable is unset or empty. @default none: the variable is required */
  readonly default?: number;
}

/** A whole number in `[min, max]`; a missing (without default), non-numeric, fractional or out-of-range value is a ConfigError. */
export function integer(name: string, rule: IntegerRule, env: Environment = process.env): number {
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const text = env[name];
  if (text === undefined || text.trim() === "") {
    if (rule.default !== undefined) return rule.default;
    throw new ConfigError(name, `${name} is not set: give a whole number from ${rule.min} to ${max}.`);
  }
  const value = /^\s*[-+]?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < rule.min || value > max) {
    throw new ConfigError(name, `${name} must be a whole number from ${rule.min} to ${max}, got "${text.slice(0, 40)}".`);
  }
  return value;
}

export interface EnumRule<T extends string> {
  readonly values: readonly T[];
  /** Used when the variable is unset or empty. */
  readonly default: T;
}

/** One of the rule's values (exact match), or its default when unset or empty; anything else is a ConfigError listing the choices. */
export function oneOf<T extends string>(name: string, rule: EnumRule<T>, env: Environment = process.env): T {
  const value = env[name];
  if (value === undefined || value === "") return rule.default;
  const match = rule.values.find((candidate) => candidate === value);
  if (match === undefined) throw new ConfigError(name, `${name} must be one of ${rule.values.join(", ")}, got "${value.slice(0, 40)}".`);
  return match;
}

/**
 * Logs a ConfigError as one structured line (what an operator searches for)
 * and returns true; returns false for any other error, which it leaves alone.
 */
export function reportConfigError(err: unknown): err is ConfigError {
  if (!(err instanceof ConfigError)) return false;
  logger().error(err.message, { event: "config_error", variable: err.variable });
  return true;
}

/**
 * The batch handlers' boundary: the settings `read` returns; a ConfigError is
 * logged, then thrown, so the invocation fails and the whole batch returns to
 * its source (nothing dropped, the Errors alarm fires).
 */
export function readSettings<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    reportConfigError(err);
    throw err;
  }
}

/**
 * A value built on first use and kept for the container's life (SDK clients
 * sized from the environment): a build that throws is not kept, so the next
 * invocation tries again, and its error reaches the handler's boundary
 * instead of crashing the module load.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    if (built === undefined) built = { value: build() };
    return built.value;
  };
}
