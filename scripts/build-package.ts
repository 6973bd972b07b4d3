/**
 * The installable package (`npm run build`): the library part (index.ts and
 * what it imports: patterns/, blocks/) compiled to JavaScript and `.d.ts` by
 * tsc (tsconfig.build.json), and every handler's bundle prebuilt beside it
 * (`<out>/bundles/`, read by blocks/lambda/prebuilt.ts), so a consumer needs
 * neither esbuild nor the handler sources. The bundles are the ones a synth
 * from the sources makes (the bundle cache's), byte for byte.
 *
 *   npm run build                 -> dist/
 *   npm run build -- --out <dir>  -> <dir> (the consumer proof builds into a temporary folder)
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bundleHandler, projectEntries } from "../blocks/lambda/bundle";
import { PrebuiltManifest, prebuiltFolder, PREBUILT_MANIFEST } from "../blocks/lambda/prebuilt";
import { readOptions, runMain, UsageError } from "../tools/cli";

const ROOT = path.resolve(__dirname, "..");
const USAGE = "usage: npm run build [-- --out <dir>]   (default dist/)";

export interface BuildResult {
  readonly outDir: string;
  /** Entries prebuilt, relative to the project root. */
  readonly bundles: readonly string[];
}

/** Compiles the library into `outDir` (emptied first) and prebuilds every handler bundle into `<outDir>/bundles/`. */
export function buildPackage(outDir: string): BuildResult {
  if (path.resolve(outDir) === ROOT) throw new UsageError("--out must not be the project root");
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", outDir], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const manifest: PrebuiltManifest = {};
  for (const absolute of projectEntries().sort()) {
    const entry = path.relative(ROOT, absolute).split(path.sep).join("/");
    const bundle = bundleHandler(entry);
    const folder = prebuiltFolder(entry);
    const target = path.join(outDir, "bundles", folder);
    mkdirSync(target, { recursive: true });
    cpSync(bundle.dir, path.join(target, "code"), { recursive: true });
    copyFileSync(bundle.zipFile, path.join(target, "code.zip"));
    manifest[entry] = { folder, zipBase64Sha256: bundle.zipBase64Sha256, codeBytes: bundle.codeBytes };
  }
  writeFileSync(path.join(outDir, "bundles", PREBUILT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { outDir, bundles: Object.keys(manifest) };
}

async function main(argv: readonly string[]): Promise<number> {
  let outDir = path.join(ROOT, "dist");
  for (const [name, value] of readOptions(argv, [], ["out"])) {
    if (name === "out" && typeof value === "string") outDir = path.resolve(value);
  }
  const started = Date.now();
  const { bundles } = buildPackage(outDir);
  console.log(`built ${path.relative(process.cwd(), outDir) || "."}: the library and ${bundles.length} prebuilt handler bundles (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

if (require.main === module) runMain("build", USAGE, main);
