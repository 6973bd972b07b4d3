/** The bench's handler figures: every bundle's size and module load time in a fresh process (scripts/bench.ts, figure 3). */
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { promisify } from "node:util";
import { STACK_IDS } from "../../main";
import { Block, environmentVariables, functionCode, readStack, resolveLiterals, resolveLocal, resources, SynthesizedStack } from "../../tools/emulator/synth";
import { median } from "./stats";

const run = promisify(execFile);

export interface HandlerResult {
  readonly stack: string;
  readonly functionName: string;
  readonly bundleBytes: number;
  readonly loadMs: number;
}

/**
 * The function's environment as Lambda would set it: literals as they are,
 * variables at their defaults, values known only after apply (ARNs, URLs) as
 * placeholders; handlers that read their settings at load time need them.
 */
function functionEnvironment(stack: SynthesizedStack, fn: Block): Record<string, string> {
  const variables = environmentVariables(fn);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    try {
      const resolved = resolveLiterals(stack, String(value));
      if (resolved.includes("${")) throw new Error("an expression");
      out[key] = resolved;
    } catch {
      out[key] = `bench-${key.toLowerCase().replace(/_/g, "-")}`;
    }
  }
  return out;
}

/** Time of `require(index.js)` alone, measured inside a fresh node process. */
const LOAD_PROBE = `const t = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

export async function benchHandlers(outdir: string, runs: number): Promise<HandlerResult[]> {
  const out: HandlerResult[] = [];
  for (const id of STACK_IDS) {
    const stack = readStack(outdir, id);
    for (const [, fn] of resources(stack, "aws_lambda_function") as [string, Block][]) {
      const { file } = functionCode(stack, fn);
      const env = { PATH: process.env.PATH, AWS_REGION: "ap-northeast-1", NODE_OPTIONS: "", ...functionEnvironment(stack, fn) };
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        try {
          const { stdout } = await run(process.execPath, ["-e", LOAD_PROBE, file], { env, maxBuffer: 1024 * 1024 });
          times.push(Number(stdout));
        } catch (err) {
          const stderr = (err as { stderr?: string }).stderr ?? "";
          throw new Error(`loading ${file} failed: ${stderr.split("\n").filter((l) => /Error/.test(l)).slice(-1)[0] ?? "see above"}`);
        }
      }
      out.push({ stack: id, functionName: String(resolveLocal(stack, fn.function_name)), bundleBytes: statSync(file).size, loadMs: median(times) });
    }
  }
  return out;
}

