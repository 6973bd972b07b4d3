/**
 * Secure defaults every table and queue of the project shares, in one place
 * (as AWS Solutions Constructs' `*-defaults.ts`): a stack spreads them into its
 * resource and adds only what its seed decides (keys, billing, TTL, timeouts).
 */
import { Construct } from "constructs";
import { IResolvable } from "cdktf";
import { booleanSetting } from "./variables";
import type { DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { SqsQueueConfig } from "@cdktf/provider-aws/lib/sqs-queue";

/** The setting every pattern with tables has (one name across patterns, as operators type it). */
export const TABLE_DELETION_PROTECTION_VARIABLE = "table_deletion_protection";

/** Retention of the log groups a pattern creates when not told otherwise, in days. */
export const DEFAULT_LOG_RETENTION_DAYS = 14;

/**
 * `deletion_protection_enabled` of the pattern's tables: on by default like the
 * ALB's; with variables on, the `table_deletion_protection` variable (one for all
 * the tables). Apply with it `false` before `cdktf destroy`: a protected table
 * refuses to be deleted.
 */
export function tableDeletionProtection(scope: Construct, value: boolean | IResolvable = true): boolean | IResolvable {
  return booleanSetting(
    scope,
    TABLE_DELETION_PROTECTION_VARIABLE,
    value,
    "Deletion protection of the stack's DynamoDB tables. Apply with false before destroying the stack.",
  );
}

/** What a table's config spreads in: encrypted at rest, point-in-time recovery, deletion protection from the variable. */
export type SecureTableDefaults = Required<
  Pick<DynamodbTableConfig, "serverSideEncryption" | "pointInTimeRecovery">
> & { readonly deletionProtectionEnabled: boolean | IResolvable };

/**
 * Fixes the seeds share: their tables have neither encryption settings nor
 * point-in-time recovery, and nothing stops a `destroy` from deleting the data.
 */
export function secureTableDefaults(scope: Construct): SecureTableDefaults {
  return {
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: tableDeletionProtection(scope),
  };
}

/** What a queue's config spreads in: SSE with SQS managed keys (free, no key policy to keep). */
export const QUEUE_DEFAULTS: Required<Pick<SqsQueueConfig, "sqsManagedSseEnabled">> = {
  sqsManagedSseEnabled: true,
};

/**
 * The one visible merge of defaults and a user's overrides (AWS Solutions Constructs'
 * `consolidateProps`): defaults first, then every override that is set, so an
 * override always wins and an `undefined` one never erases a default. Shallow:
 * a nested block given is the user's whole block.
 */
export function consolidateProps<T extends object>(defaults: T, overrides?: Partial<T>): T {
  const set = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) } as T;
}

/** Refuses two props that exclude each other (an existing resource and the settings of a new one), naming both. */
export function exclusive(scope: Construct, props: Record<string, unknown>): void {
  const given = Object.entries(props)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  if (given.length > 1) throw new Error(`${scope.node.path}: either ${given.join(" or ")}, not both.`);
}
