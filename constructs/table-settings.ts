/** Settings every DynamoDB table of the project shares. */
import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";

/** The variable every stack with tables declares (one name across stacks, as operators type it). */
export const TABLE_DELETION_PROTECTION_VARIABLE = "table_deletion_protection";

/**
 * The `table_deletion_protection` variable: `deletion_protection_enabled` of the
 * stack's tables, on by default like the ALB's. Apply with it `false` before
 * `cdktf destroy`: a protected table refuses to be deleted.
 */
export function tableDeletionProtectionVariable(scope: Construct, defaultValue = true): TerraformVariable {
  const variable = new TerraformVariable(scope, TABLE_DELETION_PROTECTION_VARIABLE, {
    type: "bool",
    default: defaultValue,
    description: "Deletion protection of the stack's DynamoDB tables. Apply with false before destroying the stack.",
  });
  variable.overrideLogicalId(TABLE_DELETION_PROTECTION_VARIABLE);
  return variable;
}
