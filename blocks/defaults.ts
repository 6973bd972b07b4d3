/**
 * Secure defaults every table and queue of the project shares, in one place
 * (as AWS Solutions Constructs' `*-defaults.ts`): a stack spreads them into its
 * resource and adds only what its seed decides (keys, billing, TTL, timeouts).
 */
import { Construct } from "constructs";
import { IResolvable, TerraformStack, TerraformVariable } from "cdktf";
import type { DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { SqsQueueConfig } from "@cdktf/provider-aws/lib/sqs-queue";

/** The variable every stack with tables declares (one name across stacks, as operators type it). */
export const TABLE_DELETION_PROTECTION_VARIABLE = "table_deletion_protection";

/**
 * The `table_deletion_protection` variable: `deletion_protection_enabled` of the
 * stack's tables, on by default like the ALB's. Apply with it `false` before
 * `cdktf destroy`: a protected table refuses to be deleted. Declared once per
 * stack, the first time a table asks for it.
 */
export function tableDeletionProtectionVariable(scope: Construct): TerraformVariable {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(TABLE_DELETION_PROTECTION_VARIABLE);
  if (existing instanceof TerraformVariable) return existing;
  const variable = new TerraformVariable(stack, TABLE_DELETION_PROTECTION_VARIABLE, {
    type: "bool",
    default: true,
    description: "Deletion protection of the stack's DynamoDB tables. Apply with false before destroying the stack.",
  });
  variable.overrideLogicalId(TABLE_DELETION_PROTECTION_VARIABLE);
  return variable;
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
    deletionProtectionEnabled: tableDeletionProtectionVariable(scope).booleanValue,
  };
}

/** What a queue's config spreads in: SSE with SQS managed keys (free, no key policy to keep). */
export const QUEUE_DEFAULTS: Required<Pick<SqsQueueConfig, "sqsManagedSseEnabled">> = {
  sqsManagedSseEnabled: true,
};
