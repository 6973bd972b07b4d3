/**
 * Validated Terraform variables, in one style: each helper declares the variable
 * under a stable name (what operators type in tfvars, not the construct path),
 * with its type, default and description, and one plan-time validation written
 * as a literal HCL condition. Literal, not `Op`/`Fn`: cdktf 0.21 renders
 * `Op.gt(x, 0)` as `x > undefined`, and a literal reads as the plan shows it.
 */
import { Construct } from "constructs";
import { IResolvable, TerraformStack, TerraformVariable, Token } from "cdktf";

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

/** A variable under its stable name; a second declaration of the name in the stack is refused (it would silently merge). */
function declareOnce(scope: Construct, name: string, config: { type: string; default?: unknown; description: string; sensitive?: boolean }): TerraformVariable {
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
  return variable;
}

function declare(
  scope: Construct,
  name: string,
  config: { type: string; default?: unknown; description: string; sensitive?: boolean },
  condition: string,
  errorMessage: string,
): TerraformVariable {
  const variable = declareOnce(scope, name, config);
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

/**
 * Settings: how a pattern's tunable values reach Terraform. By default a setting is
 * the plain value it was given (checked at synth by the same rule the variable's
 * validation states), so a pattern declares no variable and two instances never
 * clash. A pattern given `variables: { prefix }` (its `PatternProps`) declares each
 * setting instead as the variable `<prefix><name>`, defaulting to that value, tunable
 * at plan time: the deployable stacks use prefix "" (today's names). A token is passed
 * through untouched: the caller declared it.
 */
export const VARIABLES_CONTEXT = "spike-proof-serverless:variables";

/** A pattern's opt-in to Terraform variables for its settings. */
export interface VariableOptions {
  /** Prepended to every variable name, e.g. `orders_` -> `orders_throttling_rate_limit`; "" keeps the plain names. */
  readonly prefix: string;
}

/** The variable options in force at `scope` (set by the enclosing pattern), or undefined: settings are plain values. */
export function variableOptionsOf(scope: Construct): VariableOptions | undefined {
  return scope.node.tryGetContext(VARIABLES_CONTEXT) as VariableOptions | undefined;
}

function literalOrVariable<T>(
  scope: Construct,
  name: string,
  value: T,
  valid: (value: T) => boolean,
  rule: string,
  declareAs: (fullName: string) => T,
): T {
  if (Token.isUnresolved(value)) return value;
  const options = variableOptionsOf(scope);
  if (options) return declareAs(`${options.prefix}${name}`);
  if (!valid(value)) throw new Error(`${scope.node.path}: ${name} ${rule}, got ${JSON.stringify(value)}.`);
  return value;
}

/** A number > 0, or the variable `<prefix><name>` holding it. */
export function positiveNumberSetting(scope: Construct, name: string, value: number, description: string): number {
  return literalOrVariable(scope, name, value, (v) => v > 0, "must be > 0", (full) =>
    positiveNumberVariable(scope, full, value, description).numberValue,
  );
}

/** A whole number in `min..max`, or the variable holding it. */
export function wholeNumberSetting(
  scope: Construct,
  name: string,
  value: number,
  props: VariableBase & { readonly min: number; readonly max?: number },
): number {
  const rule = `must be a whole number >= ${props.min}${props.max !== undefined ? ` and <= ${props.max}` : ""}`;
  return literalOrVariable(
    scope,
    name,
    value,
    (v) => Number.isInteger(v) && v >= props.min && (props.max === undefined || v <= props.max),
    rule,
    (full) => wholeNumberVariable(scope, full, { ...props, default: value }).numberValue,
  );
}

/** One of `values`, or the variable holding it. */
export function enumSetting<T extends string>(
  scope: Construct,
  name: string,
  value: T,
  props: VariableBase & { readonly values: readonly T[] },
): T {
  return literalOrVariable(scope, name, value, (v) => props.values.includes(v), `must be one of ${props.values.join(", ")}`, (full) =>
    enumVariable(scope, full, { ...props, default: value }).stringValue as T,
  );
}

/** A set of strings each matching `pattern` (RE2; checked with JavaScript's RegExp at synth), or the variable holding it. */
export function patternSetSetting(
  scope: Construct,
  name: string,
  value: readonly string[],
  props: VariableBase & { readonly pattern: string },
): string[] {
  const regex = new RegExp(props.pattern);
  return literalOrVariable(scope, name, [...value], (v) => v.every((item) => regex.test(item)), `: every item must match ${props.pattern}`, (full) =>
    patternSetVariable(scope, full, { ...props, default: value }).listValue,
  );
}

/**
 * A boolean, or the `bool` variable holding it (no validation: the type is the rule).
 * One switch may serve several constructs (every table's deletion protection): a
 * variable of that name already in the stack is reused, not declared twice.
 */
export function booleanSetting(scope: Construct, name: string, value: boolean | IResolvable, description: string): boolean | IResolvable {
  return literalOrVariable<boolean | IResolvable>(scope, name, value, () => true, "", (full) => {
    const existing = TerraformStack.of(scope)
      .node.findAll()
      .find((c): c is TerraformVariable => c instanceof TerraformVariable && c.friendlyUniqueId === full);
    if (existing) return existing.booleanValue;
    const variable = new TerraformVariable(scope, full, { type: "bool", default: value, description });
    variable.overrideLogicalId(full);
    return variable.booleanValue;
  });
}

/** A string matching `pattern` (RE2; checked with JavaScript's RegExp at synth), or the variable holding it. */
export function patternSetting(scope: Construct, name: string, value: string, props: VariableBase & { readonly pattern: string }): string {
  const regex = new RegExp(props.pattern);
  return literalOrVariable(scope, name, value, (v) => regex.test(v), `must match ${props.pattern}`, (full) =>
    patternVariable(scope, full, { ...props, default: value }).stringValue,
  );
}

/** Any string, or the `string` variable holding it. */
export function stringSetting(scope: Construct, name: string, value: string, description: string): string {
  return literalOrVariable(scope, name, value, () => true, "", (full) => declareOnce(scope, full, { type: "string", default: value, description }).stringValue);
}

/**
 * The HCL reference (`var.<prefix><name>`) of a setting declared as a variable at `scope`, for
 * plan-time checks and dynamic blocks; undefined when settings are plain values (synth checked them).
 */
export function settingReference(scope: Construct, name: string): string | undefined {
  const options = variableOptionsOf(scope);
  return options ? `var.${options.prefix}${name}` : undefined;
}
