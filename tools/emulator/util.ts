import { Block, environmentVariables, SynthesizedStack, variableDefault } from "./synth";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn(0..count-1)` with at most `concurrency` calls in flight. */
export async function mapPool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/** Local values of a resource's attributes (`name`, `arn`, `url`, ...), by resource type. */
export type Resolvers = Record<string, (block: Block, name: string) => Record<string, string>>;

/**
 * A function's `environment.variables` with every Terraform reference
 * replaced by the local resource's value (`${aws_sqs_queue.queue.url}` -> the
 * local queue's URL) and every `${var.x}` by the variable's default.
 */
export function resolveEnvironment(stack: SynthesizedStack, fn: Block, resolvers: Resolvers): Record<string, string> {
  const variables = environmentVariables(fn);
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(variables)) {
    const value = String(variableDefault(stack, raw));
    out[key] = value.replace(/\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[0\])?\.([a-z_]+)\}/g, (whole, type: string, name: string, attr: string) => {
      if (type === "var") return String(variableDefault(stack, `\${var.${name}}`));
      const resolve = resolvers[type];
      const block = stack.json.resource?.[type]?.[name];
      const local = type in resolvers && block ? resolve(block, name)[attr] : undefined;
      if (local === undefined) throw new Error(`${stack.id}: cannot resolve ${whole} in ${key} locally`);
      return local;
    });
  }
  return out;
}
