/** One `terraform plan -json` of a root module (and `show -json` of it), read per module call: the proof's (./prove.ts) plan step. */
import { rmSync } from "node:fs";
import * as path from "node:path";
import { dataDirFor, terraform, terraformEnv } from "./init";

export interface PlanMessage {
  readonly type: string;
  readonly change?: { resource: { resource_type: string; resource_name: string; module?: string }; action: string };
  readonly diagnostic?: {
    severity: string;
    summary: string;
    detail?: string;
    address?: string;
    range?: { filename: string; start: { line: number } };
  };
}

/** What `terraform plan -json` said about one module (`""`: the root module). */
export interface ModulePlan {
  /** `type.name` of the resources this module would create (its own, not its children's). */
  readonly planned: Set<string>;
  readonly diagnostics: string[];
}

/**
 * The planned creates and the diagnostics of `terraform plan -json` output, per
 * module call of the root (`module.<name>`); diagnostics no module can be named
 * for (a provider error, say) are under `""`.
 */
export function readPlan(stdout: string, modules: readonly string[] = []): Map<string, ModulePlan> {
  const byModule = new Map<string, ModulePlan>(["", ...modules].map((m) => [m, { planned: new Set(), diagnostics: [] }]));
  const moduleOf = (address: string | undefined, filename = ""): string => {
    const call = /^module\.([^.[]+)/.exec(address ?? "")?.[1] ?? /^m\/([^/]+)\//.exec(filename)?.[1] ?? "";
    return byModule.has(call) ? call : "";
  };
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as PlanMessage;
    if (message.type === "planned_change" && message.change) {
      const { resource, action } = message.change;
      const name = resource.module ? /^module\.([^.[]+)$/.exec(resource.module)?.[1] : "";
      if (action === "create" && name !== undefined) byModule.get(name)?.planned.add(`${resource.resource_type}.${resource.resource_name}`);
    } else if (message.type === "diagnostic" && message.diagnostic) {
      const d = message.diagnostic;
      const where = d.range ? ` (${d.range.filename.replace(/^m\/[^/]+\//, "")}:${d.range.start.line})` : "";
      byModule.get(moduleOf(d.address, d.range?.filename))?.diagnostics.push(`${d.severity}: ${d.summary}${where}${d.detail ? `\n  ${d.detail}` : ""}`);
    }
  }
  return byModule;
}

export interface PlanRun {
  readonly ok: boolean;
  readonly initialized: boolean;
  readonly byModule: Map<string, ModulePlan>;
  /** What went wrong besides the diagnostics (init, the CLI's own stderr, `show`). */
  readonly failure: string;
  readonly plan?: PlanJson;
}

/** Init (if needed), `plan -json` and, with `planJson`, `show -json` of the saved plan, in root module `dir`. */
export async function planRoot(dir: string, args: readonly string[], planJson: boolean, modules: readonly string[] = [], initKey?: string): Promise<PlanRun> {
  const data = await dataDirFor(dir, initKey);
  if (!data.ok) return { ok: false, initialized: data.initialized, byModule: new Map(), failure: data.log };
  const saved = path.join(dir, "tfplan");
  const plan = await terraform(
    ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-json", ...(planJson ? [`-out=${saved}`] : []), ...args],
    dir,
    terraformEnv(data.dataDir),
  );
  const byModule = readPlan(plan.stdout, modules);
  if (plan.code !== 0 || !planJson) return { ok: plan.code === 0, initialized: data.initialized, byModule, failure: plan.code === 0 ? "" : plan.stderr };
  const show = await terraform(["show", "-json", "-no-color", saved], dir, terraformEnv(data.dataDir));
  rmSync(saved, { force: true });
  if (show.code !== 0) return { ok: false, initialized: data.initialized, byModule, failure: `terraform show failed:\n${show.stderr}` };
  return { ok: true, initialized: data.initialized, byModule, failure: "", plan: JSON.parse(show.stdout) as PlanJson };
}

/** The parts of `terraform show -json` this module splits per module call. */
export interface PlanJson {
  readonly configuration?: { readonly root_module?: { readonly module_calls?: Record<string, { readonly module?: unknown }> } };
  readonly resource_changes?: readonly { readonly address: string; readonly module_address?: string }[];
}

