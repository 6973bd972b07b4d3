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
 * - The jsii packages (cdktf, constructs, the provider classes) loaded as plain
 *   CommonJS. tsx scans every `.js` file it loads for ES module syntax (to compile
 *   such a file if it finds any), then compiles it as CommonJS; jsii writes
 *   CommonJS only, and those packages are most of what a synth loads (~7 MB), so
 *   the scan was ~200 ms of a ~700 ms synth. The same `module._compile` tsx calls
 *   after a scan that finds nothing, without the scan.
 */
import { readFileSync } from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";

const sourceMapsAsked = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].includes("--enable-source-maps");
if (!sourceMapsAsked) process.setSourceMapsEnabled(false);

// Looked up, not imported by name: Node 20 has no such function, and @types/node 20 does not declare it.
const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir: string) => unknown };
enableCompileCache?.(path.join(__dirname, "node_modules", ".cache", "node-compile-cache"));

/** The packages jsii compiled that a synth loads: CommonJS by construction. */
export const JSII_PACKAGES = ["cdktf", "constructs", "@cdktf/provider-aws", "@cdktf/provider-archive"] as const;
const names = JSII_PACKAGES.map((name) => name.replace("/", "[\\\\/]")).join("|");
/** A `.js` file of one of them, installed; not one of the packages bundled inside (cdktf ships its own node_modules). */
export const JSII_PACKAGE_FILE = new RegExp(`[\\\\/]node_modules[\\\\/](?:${names})[\\\\/](?:(?!node_modules[\\\\/]).)*\\.js$`);

interface CommonJsModule {
  _compile(content: string, filename: string): unknown;
}
type ExtensionLoader = (module: CommonJsModule, filename: string) => unknown;

// Node's CommonJS loader keeps one loader per extension (where tsx, like every require hook, installs its own).
const extensions = (nodeModule as unknown as { Module: { _extensions: Record<string, ExtensionLoader> } }).Module._extensions;
const loadJs = extensions[".js"];
if (loadJs) {
  extensions[".js"] = function loadJsiiAsCommonJs(this: unknown, module: CommonJsModule, filename: string): unknown {
    if (JSII_PACKAGE_FILE.test(filename)) return module._compile(readFileSync(filename, "utf8"), filename);
    return loadJs.call(this, module, filename);
  };
}
