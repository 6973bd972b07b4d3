/** What the REST and HTTP API stage constructs share: access-log fields and plan-time throttling limits. */
import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";

/**
 * A JSON access-log line: field name -> `$context` variable. Written in key
 * order, one JSON object per request.
 */
export type AccessLogFields = Readonly<Record<string, string>>;

/**
 * A positive number variable with a stable name (not the construct path), as
 * operators type it in tfvars, validated at plan time.
 */
export function positiveNumberVariable(
  scope: Construct,
  name: string,
  defaultValue: number,
  description: string,
): TerraformVariable {
  const variable = new TerraformVariable(scope, name, { type: "number", default: defaultValue, description });
  variable.overrideLogicalId(name);
  // A literal condition: cdktf 0.21 renders `Op.gt(x, 0)` as `x > undefined` (the 0 is lost).
  variable.addValidation({ condition: `\${var.${name} > 0}`, errorMessage: `${name} must be > 0.` });
  return variable;
}
