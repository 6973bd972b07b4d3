import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { deterministicZip } from "./zip";

/** The project root: esbuild resolves and names paths from here, so output is the same in any clone. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const BUILD_DIR = path.join(PROJECT_ROOT, ".build", "lambda");

/** Lambda runtime the bundles target. */
export const NODE_RUNTIME = "nodejs22.x";

export interface Bundle {
  /** Folder holding `index.js` (the handler is `index.handler`). */
  readonly dir: string;
  /** Deterministic zip of that folder. */
  readonly zipFile: string;
  /** base64 SHA-256 of the zip, the form Lambda's `source_code_hash` takes. */
  readonly zipBase64Sha256: string;
  readonly codeBytes: number;
}

const cache = new Map<string, Bundle>();

function writeAtomically(file: string, data: Buffer): void {
  if (existsSync(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file); // parallel synths (jest workers) never see a half-written file
}

/** `buildBundle`, once per entry per process: stacks and tests synthesize often. */
export function bundleHandler(entry: string): Bundle {
  const absolute = path.resolve(PROJECT_ROOT, entry);
  let bundle = cache.get(absolute);
  if (!bundle) {
    bundle = buildBundle(absolute);
    cache.set(absolute, bundle);
  }
  return bundle;
}

/**
 * Bundles a TypeScript handler entry with esbuild (CommonJS for `nodejs22.x`,
 * AWS SDK v3 included so the lock file pins what runs) into a content-addressed
 * folder under `.build/lambda/`, plus a deterministic zip of it.
 */
export function buildBundle(entry: string): Bundle {
  const absolute = path.resolve(PROJECT_ROOT, entry);
  const result = buildSync({
    entryPoints: [absolute],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    keepNames: true,
    legalComments: "none",
    write: false,
    outfile: "index.js",
    logLevel: "error",
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const dir = path.join(BUILD_DIR, hash, "code");
  mkdirSync(dir, { recursive: true });
  writeAtomically(path.join(dir, "index.js"), code);

  const zip = deterministicZip([{ name: "index.js", data: code }]);
  const zipFile = path.join(BUILD_DIR, hash, "code.zip");
  writeAtomically(zipFile, zip);

  return {
    dir,
    zipFile,
    zipBase64Sha256: createHash("sha256").update(zip).digest("base64"),
    codeBytes: code.length,
  };
}
