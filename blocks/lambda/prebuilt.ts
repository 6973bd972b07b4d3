/**
 * The handler bundles prebuilt into the installed package (`npm run build`):
 * `dist/bundles/<entry folder>/code/index.js` and its `code.zip`, the very
 * bytes a synth from the sources makes, listed in `dist/bundles/manifest.json`
 * by entry. From the sources there is no such folder, and every bundle comes
 * from esbuild.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Bundle } from "./bundle";

/** Where the package's code lives: the project root from the sources, dist/ when installed. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
/** The prebuilt bundles, beside dist/blocks/. */
export const PREBUILT_DIR = path.join(PACKAGE_ROOT, "bundles");
export const PREBUILT_MANIFEST = "manifest.json";

export interface PrebuiltEntry {
  /** Folder under PREBUILT_DIR holding `code/index.js` and `code.zip`. */
  readonly folder: string;
  readonly zipBase64Sha256: string;
  readonly codeBytes: number;
}

/** By entry, as the constructs name it: relative to the project root, `/`-separated (`handlers/x/index.ts`). */
export type PrebuiltManifest = Record<string, PrebuiltEntry>;

let manifest: PrebuiltManifest | null | undefined;
function readManifest(): PrebuiltManifest | null {
  if (manifest === undefined) {
    const file = path.join(PREBUILT_DIR, PREBUILT_MANIFEST);
    manifest = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PrebuiltManifest) : null;
  }
  return manifest;
}

/** Whether this code runs from the built package (its bundles prebuilt) rather than from the sources. */
export function runsInstalled(): boolean {
  return readManifest() !== null;
}

/** The folder a prebuilt entry's bundle goes in: its own folder's path (`handlers/webhook-proxy/api2sqs`). */
export function prebuiltFolder(entry: string): string {
  const folder = path.posix.dirname(entry.split(path.sep).join("/"));
  return folder === "." ? path.posix.basename(entry, path.posix.extname(entry)) : folder;
}

/**
 * The prebuilt bundle of `entry` when this runs installed and the package ships
 * one for it (undefined otherwise: the entry is the user's own, for esbuild).
 * Other bundling options than the defaults cannot be honoured from it: an error.
 */
export function prebuiltBundle(entry: string, customBundling: boolean): Bundle | undefined {
  const prebuilt = readManifest();
  if (!prebuilt) return undefined;
  const relative = (path.isAbsolute(entry) ? path.relative(PACKAGE_ROOT, entry) : path.normalize(entry)).split(path.sep).join("/");
  const found = prebuilt[relative];
  if (!found) return undefined;
  if (customBundling) {
    throw new Error(
      `NodejsFunction: ${entry} ships prebuilt with the default bundling options; other options need its TypeScript sources (bundle from the repository)`,
    );
  }
  const folder = path.join(PREBUILT_DIR, found.folder);
  return {
    dir: path.join(folder, "code"),
    zipFile: path.join(folder, "code.zip"),
    zipBase64Sha256: found.zipBase64Sha256,
    codeBytes: found.codeBytes,
    cached: true,
  };
}
