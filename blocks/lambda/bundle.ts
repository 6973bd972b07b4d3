import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type * as Esbuild from "esbuild";
import type { BuildOptions, Metafile } from "esbuild";
import { prebuiltBundle, runsInstalled } from "./prebuilt";
import type { BundlingOptions } from "./props";
import { deterministicZip } from "./zip";

/**
 * The project root: esbuild resolves and names paths from here, so output is the same in any clone.
 * From the installed package (dist/, its handlers prebuilt), the working directory: the user's project.
 */
export const PROJECT_ROOT = runsInstalled() ? process.cwd() : path.resolve(__dirname, "..", "..");

/**
 * esbuild, loaded on first use only: the installed package runs on its prebuilt bundles
 * and does not need it (a user bundling an entry of their own installs it).
 */
function esbuild(): typeof Esbuild {
  try {
    return require("esbuild") as typeof Esbuild;
  } catch (error) {
    throw new Error(`NodejsFunction: bundling a TypeScript entry needs the esbuild package (npm install --save-dev esbuild): ${String(error)}`);
  }
}

/**
 * The bundle cache: bundles and zips, and per entry what it was built from.
 * Under node_modules (never committed, gone with a fresh `npm ci`);
 * `LAMBDA_BUNDLE_CACHE_DIR` moves it (the bench times cold synths in an empty one).
 */
export const BUNDLE_CACHE_DIR = process.env.LAMBDA_BUNDLE_CACHE_DIR || path.join(PROJECT_ROOT, "node_modules", ".cache", "lambda-bundles");

/** Lambda runtime the bundles target. */
export const NODE_RUNTIME = "nodejs22.x";

/**
 * CommonJS for `nodejs22.x`, AWS SDK v3 included so the lock file pins what runs.
 * Packages' ES module builds first (`module`, then `main`): esbuild drops what a
 * handler does not use from them, which it cannot do in CommonJS, so the SDK
 * bundles are ~37 % smaller and load ~40 % faster at a cold start (`npm run
 * bench`), and bundling takes a quarter less time.
 */
const BUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  mainFields: ["module", "main"],
  // Those builds load some Node.js modules lazily (`await import("node:http")`); as `require` in a
  // promise, the bundle runs wherever CommonJS does, a test's VM context included (Node's own
  // dynamic import needs a flag there).
  supported: { "dynamic-import": false },
  minify: true,
  keepNames: true,
  legalComments: "none",
} as const satisfies BuildOptions;

export interface Bundle {
  /** Folder holding `index.js` (the handler is `index.handler`). */
  readonly dir: string;
  /** Deterministic zip of that folder (written on first use: archive packaging never needs it). */
  readonly zipFile: string;
  /** base64 SHA-256 of the zip, the form Lambda's `source_code_hash` takes. */
  readonly zipBase64Sha256: string;
  readonly codeBytes: number;
  /** Whether it came from the bundle cache rather than from esbuild. */
  readonly cached: boolean;
}

export interface BundleOptions {
  /** Look the bundle up in (and record it in) this cache folder. @default none: always build */
  readonly cacheDir?: string;
  /** The function's bundling options. @default the defaults of `BundlingOptions` */
  readonly bundling?: BundlingOptions;
}

const sha256 = (...parts: (string | Buffer)[]): string => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
};

const readIfExists = (file: string): Buffer | string => (existsSync(file) ? readFileSync(file) : "");

/**
 * Per-function bundling options as they change the build: undefined when they
 * leave every default, else a stable JSON key (sorted) that joins the recipe.
 */
export function bundlingKey(bundling: BundlingOptions | undefined): string | undefined {
  if (!bundling) return undefined;
  const external = [...(bundling.externalModules ?? [])].sort();
  const define = Object.entries(bundling.define ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const minify = bundling.minify ?? BUILD_OPTIONS.minify;
  const sourcemap = bundling.sourcemap ?? false;
  if (minify === BUILD_OPTIONS.minify && !sourcemap && external.length === 0 && define.length === 0) return undefined;
  return JSON.stringify({ minify, sourcemap, external, define });
}

/** esbuild options for a `bundlingKey` (the defaults for undefined). */
function buildOptionsFor(key: string | undefined): BuildOptions {
  if (key === undefined) return BUILD_OPTIONS;
  const options = JSON.parse(key) as { minify: boolean; sourcemap: boolean; external: string[]; define: [string, string][] };
  return {
    ...BUILD_OPTIONS,
    minify: options.minify,
    // Linked: the `sourceMappingURL` comment Node needs to find the map.
    sourcemap: options.sourcemap ? "linked" : false,
    external: options.external,
    define: Object.fromEntries(options.define),
  };
}

/** The files of a bundle's folder: the map beside the code when there is one. */
const filesFor = (key: string | undefined): string[] =>
  key !== undefined && (JSON.parse(key) as { sourcemap: boolean }).sourcemap ? ["index.js.map", "index.js"] : ["index.js"];

/**
 * Everything besides the bundle's input files that decides its bytes and its
 * zip's: esbuild's version and options, the target, the TypeScript settings
 * esbuild reads, the lock file (how imports resolve), the zip writer; and the
 * function's own bundling options, when it has any.
 */
let recipe: string | undefined;
function bundleRecipe(key?: string): string {
  recipe ??= sha256(
    JSON.stringify({ esbuild: esbuild().version, options: BUILD_OPTIONS, runtime: NODE_RUNTIME, manifest: 2 }),
    readIfExists(path.join(PROJECT_ROOT, "tsconfig.json")),
    readIfExists(path.join(PROJECT_ROOT, "package-lock.json")),
    // The zip writer, by what it writes for a probe (robust to the code being bundled or compiled).
    deterministicZip([{ name: "probe.js", data: Buffer.from("probe") }]),
  );
  return key === undefined ? recipe : sha256(recipe, key);
}

/** An input file as the cache last saw it: its content hash, and its size and modification time then. */
interface InputRecord {
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What the cache records per entry: every input file (from esbuild's metafile) and the output. */
interface Manifest {
  readonly inputs: Record<string, InputRecord>;
  readonly output: string;
}

/**
 * Whether an input file still has the content it was built from. Project files
 * are hashed every time (a few dozen, small). Installed packages (hundreds of
 * files under node_modules, what npm wrote from the lock file, itself in the
 * recipe) are hashed only when their size or modification time changed, the
 * way git tells a changed file: most of a warm synth's lookup time saved.
 * "same content": an installed file rewritten with the bytes it had.
 */
function unchanged(input: string, record: InputRecord): "same" | "same content" | "changed" {
  const stat = statSync(path.resolve(PROJECT_ROOT, input), { throwIfNoEntry: false });
  if (!stat) return "changed";
  const installed = input.split(/[\\/]/).includes("node_modules");
  if (installed && stat.size === record.size && stat.mtimeMs === record.mtimeMs) return "same";
  if (sha256(readFileSync(path.resolve(PROJECT_ROOT, input))) !== record.sha256) return "changed";
  return installed ? "same content" : "same";
}

function recordOf(input: string): InputRecord | undefined {
  const file = path.resolve(PROJECT_ROOT, input);
  if (!existsSync(file)) return undefined;
  const { size, mtimeMs } = statSync(file);
  return { sha256: sha256(readFileSync(file)), size, mtimeMs };
}

function writeAtomically(file: string, data: Buffer | string): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file); // parallel synths (jest workers) never see a half-written file
}

const memo = new Map<string, Bundle>();

/** Every Lambda entry of the project: the `index.ts` files under handlers/ (the layout the stacks' entries follow). */
export function projectEntries(dir = path.join(PROJECT_ROOT, "handlers")): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? projectEntries(path.join(dir, e.name)) : e.name === "index.ts" ? [path.join(dir, e.name)] : [],
  );
}

/**
 * `buildBundle` through the bundle cache, once per entry per process: stacks
 * and tests synthesize often. On a miss, every project entry the cache also
 * misses is bundled in the same esbuild run (the AWS SDK they share is parsed
 * once, the bundles are built on all cores; each bundle's bytes are the same as
 * alone), so a cold synth of the app runs esbuild once, not once per handler.
 */
export function bundleHandler(entry: string, bundling?: BundlingOptions): Bundle {
  const key = bundlingKey(bundling);
  const prebuilt = prebuiltBundle(entry, key !== undefined);
  if (prebuilt) return prebuilt;
  const absolute = path.resolve(PROJECT_ROOT, entry);
  const memoKey = `${absolute}\0${key ?? ""}`;
  let bundle = memo.get(memoKey);
  if (!bundle) {
    if (!existsSync(absolute)) throw new Error(`NodejsFunction: entry ${entry} not found (looked for ${absolute})`);
    // Options of its own: its own esbuild run (the siblings are built with the defaults).
    bundle =
      key === undefined
        ? bundleWithSiblings(absolute, projectEntries(), BUNDLE_CACHE_DIR)
        : (lookUp(absolute, BUNDLE_CACHE_DIR, key) ?? buildBundles([absolute], BUNDLE_CACHE_DIR, true, key)[0]);
    memo.set(memoKey, bundle);
  }
  return bundle;
}

/**
 * `absolute`'s bundle from the cache, or built in one esbuild run with every
 * sibling entry the cache also misses. When that run fails, `absolute` is
 * built alone: a sibling that does not build fails its own function's synth
 * with its own error, never this one's.
 */
export function bundleWithSiblings(absolute: string, siblings: readonly string[], cacheDir: string): Bundle {
  const hit = lookUp(absolute, cacheDir);
  if (hit) return hit;
  const missing = siblings.filter((e) => e !== absolute && !lookUp(e, cacheDir));
  if (missing.length > 0) {
    try {
      return buildBundles([absolute, ...missing], cacheDir)[0];
    } catch {
      // Built alone below: its own error, if it has one.
    }
  }
  return buildBundles([absolute], cacheDir)[0];
}

/**
 * Bundles a TypeScript handler entry with esbuild into a content-addressed
 * folder (`<cache>/out/<hash>/code/index.js`), plus a deterministic zip of it.
 * With `cacheDir`, an entry whose input files all have the content they had
 * when it was last built (same recipe) is not built again: the cache hands back
 * the same folder and zip, so the same bytes and the same `source_code_hash`.
 */
export function buildBundle(entry: string, options: BundleOptions = {}): Bundle {
  const absolute = path.resolve(PROJECT_ROOT, entry);
  const key = bundlingKey(options.bundling);
  const hit = options.cacheDir ? lookUp(absolute, options.cacheDir, key) : undefined;
  return hit ?? buildBundles([absolute], options.cacheDir ?? BUNDLE_CACHE_DIR, options.cacheDir !== undefined, key)[0];
}

function manifestFile(absolute: string, cacheDir: string, key: string | undefined): string {
  return path.join(cacheDir, "entries", `${sha256(bundleRecipe(key), path.relative(PROJECT_ROOT, absolute)).slice(0, 32)}.json`);
}

/** How long before a build an input's modification time still counts as "during the build" (see buildBundles). */
const RACE_SLACK_MS = 50;

/**
 * One esbuild run for all `entries` (absolute paths); records each in the cache
 * unless `record` is false. An entry one of whose input files was modified
 * after the run started (an editor saving while esbuild reads) is not
 * recorded: its bundle may hold the old content while the manifest would name
 * the new, and a later synth would take the stale bundle for a hit.
 */
function buildBundles(entries: readonly string[], cacheDir: string, record = true, key?: string): Bundle[] {
  const startedMs = Date.now();
  const result = esbuild().buildSync({
    ...buildOptionsFor(key),
    entryPoints: entries.map((entry, i) => ({ in: entry, out: `${i}/index` })),
    absWorkingDir: PROJECT_ROOT,
    write: false,
    outdir: "out",
    metafile: true,
    logLevel: "error",
  });
  return entries.map((entry, i) => {
    const outName = `out/${i}/index.js`;
    const file = result.outputFiles.find((o) => o.path === path.join(PROJECT_ROOT, outName));
    if (!file) throw new Error(`esbuild wrote no bundle for ${entry}`);
    const code = Buffer.from(file.contents);
    const map = result.outputFiles.find((o) => o.path === path.join(PROJECT_ROOT, `${outName}.map`));
    const output = (map ? sha256(bundleRecipe(key), code, Buffer.from(map.contents)) : sha256(bundleRecipe(key), code)).slice(0, 16);
    // The map first: a folder with its index.js is complete (lookUp checks that file).
    if (map) writeAtomically(path.join(cacheDir, "out", output, "code", "index.js.map"), Buffer.from(map.contents));
    writeAtomically(path.join(cacheDir, "out", output, "code", "index.js"), code);
    if (record) {
      const inputs: Record<string, InputRecord> = {};
      for (const input of inputsOf(result.metafile, path.relative(PROJECT_ROOT, entry))) {
        const record = recordOf(input);
        if (record) inputs[input] = record;
      }
      // Modification times come from the kernel's coarse clock (measured up to ~6 ms behind
      // Date.now()): a file saved just after the run started can look older than the start.
      // So anything modified less than RACE_SLACK_MS before the start counts as modified during it.
      const changedMeanwhile = Object.values(inputs).some((input) => input.mtimeMs >= startedMs - RACE_SLACK_MS);
      if (changedMeanwhile) return bundleAt(cacheDir, output, false, key);
      const manifest: Manifest = { inputs, output };
      const target = manifestFile(entry, cacheDir, key);
      mkdirSync(path.dirname(target), { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(manifest));
      renameSync(tmp, target);
    }
    return bundleAt(cacheDir, output, false, key);
  });
}

/**
 * Every file esbuild read for one entry: the import graph from it in the
 * metafile (type-only modules included, though they add no bytes); all inputs
 * of the run if the entry is not found there.
 */
function inputsOf(metafile: Metafile, entry: string): string[] {
  if (!metafile.inputs[entry]) return Object.keys(metafile.inputs);
  const seen = new Set([entry]);
  const pending = [entry];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const imported of metafile.inputs[next]?.imports ?? []) {
      if (imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      pending.push(imported.path);
    }
  }
  return [...seen];
}

/** The cached bundle of an entry, if every input file still has the content it was built from. */
function lookUp(absolute: string, cacheDir: string, key?: string): Bundle | undefined {
  const file = manifestFile(absolute, cacheDir, key);
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  const touched: string[] = [];
  for (const [input, record] of Object.entries(manifest.inputs)) {
    const state = unchanged(input, record);
    if (state === "changed") return undefined;
    if (state === "same content") touched.push(input);
  }
  if (!existsSync(path.join(cacheDir, "out", manifest.output, "code", "index.js"))) return undefined;
  if (touched.length > 0) {
    // Installed files rewritten with the same content (a reinstall): their new size and time, so the next lookup need not hash them.
    const inputs = { ...manifest.inputs };
    for (const input of touched) inputs[input] = recordOf(input) ?? inputs[input];
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...manifest, inputs }));
    renameSync(tmp, file);
  }
  return bundleAt(cacheDir, manifest.output, true, key);
}

function bundleAt(cacheDir: string, output: string, cached: boolean, key: string | undefined): Bundle {
  const dir = path.join(cacheDir, "out", output, "code");
  const zipFile = path.join(cacheDir, "out", output, "code.zip");
  let zipHash: string | undefined;
  const zip = (): string => {
    writeAtomically(zipFile, deterministicZip(filesFor(key).map((name) => ({ name, data: readFileSync(path.join(dir, name)) }))));
    zipHash ??= createHash("sha256").update(readFileSync(zipFile)).digest("base64");
    return zipHash;
  };
  return {
    dir,
    get zipFile() {
      zip();
      return zipFile;
    },
    get zipBase64Sha256() {
      return zip();
    },
    codeBytes: statSync(path.join(dir, "index.js")).size,
    cached,
  };
}
