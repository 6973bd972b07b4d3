/**
 * Validated Terraform variables, in one style: each helper declares the variable
 * under a stable name (what operators type in tfvars, not the construct path),
 * with its type, default and description, and one plan-time validation written
 * as a literal HCL condition. Literal, not `Op`/`Fn`: cdktf 0.21 renders
 * `Op.gt(x, 0)` as `x > undefined`, and a literal reads as the plan shows it.
 */
import { Construct } from "constructs";
import { TerraformStack, TerraformVariable } from "cdktf";

interface VariableBase {
  readonly description: string;
  /** @default a message naming the variable and the rule */
  readonly errorMessage?: string;
}

/** A lower-case DNS name of two labels or more (`example.com`, `webhook.example.com`), for domain and zone variables. */
export const DNS_NAME_PATTERN = "^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,63}$";

/** A string literal inside an HCL expression (JSON string escapes are HCL's; `${` and `%{` would start a template). */
export function hclString(value: string): string {
  if (value.includes("${") || value.includes("%{")) throw new Error(`not a literal HCL string: ${value}`);
  return JSON.stringify(value);
}

function declare(
  scope: Construct,
  name: string,
  config: { type: string; default?: unknown; description: string; sensitive?: boolean },
  condition: string,
  errorMessage: string,
): TerraformVariable {
  // Names are what operators type, so not made unique by cdktf: a second declaration would silently
  // merge with the first in the JSON (one default wins, the validations double). Refuse it instead.
  const taken = TerraformStack.of(scope)
    .node.findAll()
    .some((c) => c instanceof TerraformVariable && c.friendlyUniqueId === name);
  if (taken) {
    throw new Error(`${scope.node.path}: the Terraform variable "${name}" is already declared in this stack (give the second construct its own variable names, e.g. a variablePrefix).`);
  }
  const variable = new TerraformVariable(scope, name, config);
  variable.overrideLogicalId(name);
  variable.addValidation({ condition: `\${${condition}}`, errorMessage });
  return variable;
}

/** A string variable matching a regular expression (RE2: Terraform's `regex`). @default no default: required */
export function patternVariable(
  scope: Construct,
  name: string,
  props: VariableBase & { readonly pattern: string; readonly default?: string },
): TerraformVariable {
  return declare(
    scope,
    name,
    { type: "string", default: props.default, description: props.description },
    `can(regex(${hclString(props.pattern)}, var.${name}))`,
    props.errorMessage ?? `${name} must match ${props.pattern}.`,
  );
}

/** A set of strings, each matching a regular expression. */
export function patternSetVariable(
  scope: Construct,
  name: string,
  props: VariableBase & { readonly pattern: string; readonly default: readonly string[] },
): TerraformVariable {
  return declare(
    scope,
    name,
    { type: "set(string)", default: [...props.default], description: props.description },
    `alltrue([for item in var.${name} : can(regex(${hclString(props.pattern)}, item))])`,
    props.errorMessage ?? `${name}: every item must match ${props.pattern}.`,
  );
}

/** A string variable that is one of `values`. */
export function enumVariable<T extends string>(
  scope: Construct,
  name: string,
  props: VariableBase & { readonly values: readonly T[]; readonly default: T },
): TerraformVariable {
  return declare(
    scope,
    name,
    { type: "string", default: props.default, description: props.description },
    `contains(${JSON.stringify(props.values)}, var.${name})`,
    props.errorMessage ?? `${name} must be one of ${props.values.join(", ")}.`,
  );
}

/** A number variable above zero. */
export function positiveNumberVariable(
  scope: Construct,
  name: string,
  defaultValue: number,
  description: string,
): TerraformVariable {
  return declare(scope, name, { type: "number", default: defaultValue, description }, `var.${name} > 0`, `${name} must be > 0.`);
}

/** A whole-number variable in `min..max` (`max` optional). */
export function wholeNumberVariable(
  scope: Construct,
  name: string,
  props: VariableBase & { readonly default: number; readonly min: number; readonly max?: number },
): TerraformVariable {
  const bounds = [`var.${name} >= ${props.min}`, ...(props.max !== undefined ? [`var.${name} <= ${props.max}`] : [])];
  const range = props.max !== undefined ? `in ${props.min}..${props.max}` : `>= ${props.min}`;
  return declare(
    scope,
    name,
    { type: "number", default: props.default, description: props.description },
    [...bounds, `floor(var.${name}) == var.${name}`].join(" && "),
    props.errorMessage ?? `${name} must be a whole number ${range}.`,
  );
}
