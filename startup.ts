/**
 * Process settings for a fast synth, imported first by main.ts (and the bench's
 * floor app), so they hold before cdktf and the stacks load:
 * - Node's source maps off. tsx turns them on, and every file cdktf ships carries
 *   an inline map that Node would decode as the file loads (~50 ms), then map
 *   through for the stack trace cdktf records with every token (~0.4 s). Run with
 *   `NODE_OPTIONS=--enable-source-maps` to keep them (traces into the TypeScript).
 * - Node's compile cache (Node >= 22.1; the npm scripts run Node 22): V8's compiled
 *   code of each loaded file is kept in node_modules/.cache/node-compile-cache, so
 *   the next synth does not compile cdktf and the provider classes again. Keyed by
 *   each file's content by Node itself; never committed.
 */
import * as nodeModule from "node:module";
import * as path from "node:path";

const sourceMapsAsked = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].includes("--enable-source-maps");
if (!sourceMapsAsked) process.setSourceMapsEnabled(false);

// Looked up, not imported by name: Node 20 has no such function, and @types/node 20 does not declare it.
const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir: string) => unknown };
enableCompileCache?.(path.join(__dirname, "node_modules", ".cache", "node-compile-cache"));
