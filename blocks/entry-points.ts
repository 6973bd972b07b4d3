/**
 * Entry points that identify their callers by other means than API Gateway
 * can see (a signature checked by the function), or that are public on
 * purpose, are declared here, with the reason, so the policy suite's
 * `entry-points-identify-callers` rule can tell a decision from an oversight.
 *
 * The declarations land in the stack as one Terraform local,
 * `entry_point_callers` (`"<type>.<name>" = { caller, reason }`): reviewers
 * read them in the Terraform code, and the policy suite reads the synthesized JSON.
 */
import { Construct } from "constructs";
import { Lazy, TerraformLocal, TerraformResource, TerraformStack } from "cdktf";

/** Name of the Terraform local holding the declarations. */
export const ENTRY_POINT_CALLERS_LOCAL = "entry_point_callers";

/**
 * How a declared entry point treats its callers.
 * - `signature`: the function behind it verifies a signature of each request
 *   (e.g. an HMAC of the body) before acting on it; its environment names the
 *   secret (`SIGNATURE_SECRET_PARAMETER`), which the policy suite checks.
 * - `public`: anyone may call it; `reason` says why that is acceptable and what limits it.
 */
export type EntryPointCaller = "signature" | "public";

export interface EntryPointDeclaration {
  readonly caller: EntryPointCaller;
  /** Why, in a sentence a reviewer can check. */
  readonly reason: string;
}

const declarations = new WeakMap<TerraformStack, Record<string, EntryPointDeclaration>>();

/** Declares how `entryPoint` (an API route or method, an ALB listener) treats its callers. */
export function declareEntryPoint(entryPoint: TerraformResource, declaration: EntryPointDeclaration): void {
  if (declaration.reason.trim() === "") throw new Error(`${entryPoint.node.path}: an entry point declaration needs a reason`);
  const stack = TerraformStack.of(entryPoint);
  let entries = declarations.get(stack);
  if (!entries) {
    const created: Record<string, EntryPointDeclaration> = {};
    entries = created;
    declarations.set(stack, created);
    // Lazy: later declarations in the same stack still reach the one local.
    new TerraformLocal(stack as Construct, ENTRY_POINT_CALLERS_LOCAL, Lazy.anyValue({ produce: () => ({ ...created }) }));
  }
  entries[`${entryPoint.terraformResourceType}.${entryPoint.friendlyUniqueId}`] = declaration;
}
