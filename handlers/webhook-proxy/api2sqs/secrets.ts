/**
 * The signing secrets a container knows, per SSM parameter, and how often it
 * may ask Parameter Store for them. Every bound here is per container; with
 * `api2sqs`'s reserved concurrency R, the account sees at most R times these
 * rates (stack README, "Signed webhooks").
 */
import { log } from "../../shared/observability";

/** How long a secret read from SSM is used before it is read again: a rotated (or revoked) secret leaves warm containers within this. */
export const SECRET_TTL_MS = 5 * 60_000;
/**
 * How long a kept secret may still verify when it cannot be refreshed. Past
 * it, requests are answered 503: a secret revoked during a Parameter Store
 * outage stops working after this, whatever the outage.
 */
export const SECRET_MAX_AGE_MS = 15 * 60_000;
/** A failed read is remembered this long: no read per request while Parameter Store fails or throttles. */
export const FAILED_READ_RETRY_MS = 5_000;
/**
 * A signature mismatch re-reads the secret (it may have been rotated) at most
 * this often per container and parameter, so a flood of badly signed requests
 * is one SSM call per interval per container, not one per request.
 */
export const SECRET_RECHECK_INTERVAL_MS = 10_000;

/** Reads a secret parameter; aborts when `signal` fires. */
export type ReadSecret = (name: string, signal?: AbortSignal) => Promise<string>;

/** Where the secret came from: `kept` (no read now), `read` (just read: a recheck could tell nothing new) or `stale` (a refresh failed). */
export type SecretSource = "kept" | "read" | "stale";

/** Why no secret can be used now; `expired` when the kept one outlived SECRET_MAX_AGE_MS unrefreshed. */
export class SecretUnavailableError extends Error {
  constructor(
    message: string,
    readonly expired: boolean,
  ) {
    super(message);
    this.name = "SecretUnavailableError";
  }
}

export interface SigningSecretsOptions {
  readonly now?: () => number;
  readonly ttlMs?: number;
  readonly maxAgeMs?: number;
  readonly failedReadRetryMs?: number;
  readonly recheckIntervalMs?: number;
}

/**
 * Per parameter: the value, read on first use and kept `ttlMs`; re-read after
 * a mismatch at most once per `recheckIntervalMs`; a failed read remembered
 * `failedReadRetryMs` (the requests in between read nothing); a kept value
 * that cannot be refreshed used for at most `maxAgeMs` after its read.
 */
export class SigningSecrets {
  private readonly known = new Map<string, { value: string; readAt: number }>();
  private readonly failed = new Map<string, { at: number; error: string }>();
  private readonly lastRecheck = new Map<string, { at: number; failed: boolean }>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly maxAgeMs: number;
  private readonly failedReadRetryMs: number;
  private readonly recheckIntervalMs: number;

  constructor(options: SigningSecretsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? SECRET_TTL_MS;
    this.maxAgeMs = options.maxAgeMs ?? SECRET_MAX_AGE_MS;
    this.failedReadRetryMs = options.failedReadRetryMs ?? FAILED_READ_RETRY_MS;
    this.recheckIntervalMs = options.recheckIntervalMs ?? SECRET_RECHECK_INTERVAL_MS;
  }

  /**
   * The value to verify with: the kept one while fresh, otherwise read now
   * (unless a read failed less than `failedReadRetryMs` ago). When the refresh
   * fails, the kept value is still used until `maxAgeMs` after its read
   * (`stale`); then, or with none kept, a SecretUnavailableError is thrown.
   */
  async current(parameter: string, read: ReadSecret, signal?: AbortSignal): Promise<{ value: string; source: SecretSource }> {
    const known = this.known.get(parameter);
    const age = known ? this.now() - known.readAt : Number.POSITIVE_INFINITY;
    if (known && age < this.ttlMs) return { value: known.value, source: "kept" };
    const usable = known !== undefined && age < this.maxAgeMs;
    const failure = this.recentFailure(parameter);
    if (failure !== undefined) {
      if (usable) return { value: known.value, source: "stale" };
      throw this.unavailable(known !== undefined, `the last read failed less than ${this.failedReadRetryMs} ms ago (${failure})`);
    }
    try {
      return { value: await this.read(parameter, read, signal), source: "read" };
    } catch (err) {
      if (!usable) throw this.unavailable(known !== undefined, String(err));
      log().warn("signing_secret_refresh_failed", { event: "signing_secret_refresh_failed", parameter, ageMs: age, error: String(err) });
      return { value: known.value, source: "stale" };
    }
  }

  /**
   * After a signature mismatch with `used`: the value read anew, when it is
   * another one (rotated); undefined when it is the same, or when the last
   * recheck of this parameter, less than `recheckIntervalMs` ago, read it.
   * Throws when the read fails, and for the rest of the interval after a
   * failed one: what Parameter Store would have said stays unknown, so the
   * caller answers 503, never a 401 it cannot back.
   */
  async recheck(parameter: string, used: string, read: ReadSecret, signal?: AbortSignal): Promise<string | undefined> {
    const last = this.lastRecheck.get(parameter);
    if (last !== undefined && this.now() - last.at < this.recheckIntervalMs) {
      if (last.failed) throw this.unavailable(false, "the last re-read of the secret failed less than the recheck interval ago");
      return undefined;
    }
    const failure = this.recentFailure(parameter);
    if (failure !== undefined) throw this.unavailable(false, `the last read failed less than ${this.failedReadRetryMs} ms ago (${failure})`);
    const entry = { at: this.now(), failed: true };
    this.lastRecheck.set(parameter, entry);
    const fresh = await this.read(parameter, read, signal);
    entry.failed = false;
    return fresh !== used ? fresh : undefined;
  }

  private recentFailure(parameter: string): string | undefined {
    const failure = this.failed.get(parameter);
    return failure !== undefined && this.now() - failure.at < this.failedReadRetryMs ? failure.error : undefined;
  }

  private unavailable(hadValue: boolean, detail: string): SecretUnavailableError {
    return hadValue
      ? new SecretUnavailableError(`the signing secret could not be refreshed for ${this.maxAgeMs / 60_000} minutes: ${detail}`, true)
      : new SecretUnavailableError(`the signing secret could not be read: ${detail}`, false);
  }

  /** One read per parameter at a time; a success is kept, a failure remembered. */
  private read(parameter: string, read: ReadSecret, signal?: AbortSignal): Promise<string> {
    let pending = this.inflight.get(parameter);
    if (!pending) {
      pending = read(parameter, signal).then(
        (value) => {
          this.known.set(parameter, { value, readAt: this.now() });
          this.failed.delete(parameter);
          return value;
        },
        (err: unknown) => {
          this.failed.set(parameter, { at: this.now(), error: String(err) });
          throw err;
        },
      );
      const settled = (): void => void this.inflight.delete(parameter);
      pending.then(settled, settled);
      this.inflight.set(parameter, pending);
    }
    return pending;
  }
}
