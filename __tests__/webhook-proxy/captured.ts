/**
 * A handler run in this process with the console captured: Powertools writes
 * through the global console here (POWERTOOLS_DEV, `../setup.ts`), so every
 * line it wrote, log records and EMF blobs alike, is read back as CloudWatch
 * would (`../support/log-shape.ts`), and nothing reaches the test output.
 */
import { type Output, readOutput } from "../support/log-shape";

export async function captured<T>(work: () => Promise<T>): Promise<{ result: T; output: Output }> {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error"] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    }),
  );
  try {
    const result = await work();
    return { result, output: readOutput(lines.join("\n")) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
