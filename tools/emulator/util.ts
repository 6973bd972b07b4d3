import { Block, environmentVariables, resolveLiterals, SynthesizedStack } from "./synth";

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
 * A function's `environment.variables` as Terraform would set them, with every resource
 * attribute the local engines have (`${aws_sqs_queue.queue.url}` -> the local queue's URL)
 * taken from `resolvers`, and variables at their defaults.
 */
export function resolveEnvironment(stack: SynthesizedStack, fn: Block, resolvers: Resolvers): Record<string, string> {
  const resolve = ({ type, name, attribute, data }: { type: string; name: string; attribute: string; data: boolean }): string | undefined => {
    const block = data ? undefined : stack.json.resource[type]?.[name];
    return block && type in resolvers ? resolvers[type](block, name)[attribute] : undefined;
  };
  return Object.fromEntries(Object.entries(environmentVariables(fn)).map(([key, raw]) => [key, resolveLiterals(stack, String(raw), { resolve })]));
}
