/**
 * Compares two synthesized apps (`cdktf.out`-shaped folders) stack by stack, as
 * Terraform sees them: every block by its address (`aws_sqs_queue.queue`,
 * `data.archive_file.x`, `variable.x`, `provider.aws`, `terraform`), every
 * differing attribute by its path, and every asset file by its content.
 *
 * Metadata is set apart, not ignored: the top-level `"//"` block (the core's
 * version, stack name, backend kind; Terraform reads it as a comment) is reported
 * as notes, and `manifest.json` is not read. Everything else must be identical.
 * Pure apart from reading the two folders; no cdktf import. Used by `check-cdktn.ts`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** A path inside a block (`tags.Name`, `statement[0].actions`) and its two values; `undefined` = absent. */
export interface AttributeDifference {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface BlockDifference {
  /** Terraform address of the block. */
  readonly address: string;
  readonly kind: "added" | "removed" | "changed";
  /** For `changed`: each differing attribute. */
  readonly attributes: readonly AttributeDifference[];
}

export interface StackComparison {
  readonly stack: string;
  /** The stack's file (`cdk.tf.json` / `cdk.tf`) is missing on one side, or on both (a stack folder without it). */
  readonly missing?: "before" | "after" | "both";
  /** Blocks that differ: any entry is a difference. */
  readonly blocks: readonly BlockDifference[];
  /** Asset files (relative to the stack folder) added, removed or changed. */
  readonly assets: readonly string[];
  /** Differences inside the top-level `"//"` metadata block: notes, not differences. */
  readonly metadata: readonly AttributeDifference[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Address prefix of each top-level Terraform JSON block kind; `resource` has none. */
const TWO_LEVEL: Record<string, string> = { resource: "", data: "data." };
const ONE_LEVEL: Record<string, string> = {
  variable: "variable.",
  output: "output.",
  module: "module.",
  provider: "provider.",
  locals: "local.",
};

/** Splits Terraform JSON into `address -> block`, leaving out the top-level `"//"` metadata. */
export function blocksByAddress(json: JsonObject): Map<string, Json> {
  const blocks = new Map<string, Json>();
  for (const [kind, body] of Object.entries(json)) {
    if (kind === "//") continue;
    if (kind in TWO_LEVEL && isObject(body)) {
      for (const [type, byName] of Object.entries(body)) {
        if (!isObject(byName)) blocks.set(`${TWO_LEVEL[kind]}${type}`, byName);
        else for (const [name, block] of Object.entries(byName)) blocks.set(`${TWO_LEVEL[kind]}${type}.${name}`, block);
      }
    } else if (kind in ONE_LEVEL && isObject(body)) {
      for (const [name, block] of Object.entries(body)) blocks.set(`${ONE_LEVEL[kind]}${name}`, block);
    } else {
      blocks.set(kind, body); // `terraform` (required_providers, backend) and anything unforeseen
    }
  }
  return blocks;
}

/** Every leaf path where `before` and `after` differ. */
export function attributeDifferences(before: Json | undefined, after: Json | undefined, at = ""): AttributeDifference[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => attributeDifferences(before[key], after[key], at ? `${at}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => attributeDifferences(item, after[i], `${at}[${i}]`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: at || "(value)", before, after }];
}

/** Compares two stacks' Terraform JSON block by block. */
export function compareTerraformJson(before: JsonObject, after: JsonObject): Pick<StackComparison, "blocks" | "metadata"> {
  const a = blocksByAddress(before);
  const b = blocksByAddress(after);
  const blocks: BlockDifference[] = [];
  for (const address of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!a.has(address)) blocks.push({ address, kind: "added", attributes: [] });
    else if (!b.has(address)) blocks.push({ address, kind: "removed", attributes: [] });
    else {
      const attributes = attributeDifferences(a.get(address), b.get(address));
      if (attributes.length) blocks.push({ address, kind: "changed", attributes });
    }
  }
  return { blocks, metadata: attributeDifferences(before["//"], after["//"]) };
}

/** `relative path -> sha256` of every file under `dir`. */
function fileHashes(dir: string, prefix = ""): Map<string, string> {
  const hashes = new Map<string, string>();
  if (!existsSync(dir)) return hashes;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const [p, h] of fileHashes(full, relative)) hashes.set(p, h);
    else hashes.set(relative, createHash("sha256").update(readFileSync(full)).digest("hex"));
  }
  return hashes;
}

const stackIds = (outdir: string): string[] =>
  existsSync(path.join(outdir, "stacks")) ? readdirSync(path.join(outdir, "stacks")).sort() : [];

/**
 * Compares every stack of two synthesized apps. `file` is the stack's main file:
 * `cdk.tf.json` (compared block by block) or `cdk.tf` from `synth --hcl` (compared as text).
 */
export function compareSynthDirs(beforeDir: string, afterDir: string, file = "cdk.tf.json"): StackComparison[] {
  const stacks = [...new Set([...stackIds(beforeDir), ...stackIds(afterDir)])].sort();
  return stacks.map((stack): StackComparison => {
    const dirs = [beforeDir, afterDir].map((d) => path.join(d, "stacks", stack));
    const [before, after] = dirs.map((d) => path.join(d, file));
    if (!existsSync(before) || !existsSync(after)) {
      const missing = existsSync(before) ? "after" : existsSync(after) ? "before" : "both";
      return { stack, missing, blocks: [], assets: [], metadata: [] };
    }
    const [textBefore, textAfter] = [before, after].map((f) => readFileSync(f, "utf8"));
    const { blocks, metadata } = file.endsWith(".json")
      ? compareTerraformJson(JSON.parse(textBefore) as JsonObject, JSON.parse(textAfter) as JsonObject)
      : { blocks: textBefore === textAfter ? [] : [{ address: file, kind: "changed" as const, attributes: [] }], metadata: [] };
    const [assetsBefore, assetsAfter] = dirs.map((d) => fileHashes(path.join(d, "assets")));
    const assets = [...new Set([...assetsBefore.keys(), ...assetsAfter.keys()])]
      .filter((p) => assetsBefore.get(p) !== assetsAfter.get(p))
      .sort();
    return { stack, blocks, assets, metadata };
  });
}

export const identical = (c: StackComparison): boolean => !c.missing && c.blocks.length === 0 && c.assets.length === 0;

const show = (value: unknown): string => {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
};

/** Human-readable lines, resource by resource; metadata notes last. */
export function formatComparison(c: StackComparison): string[] {
  const where = { before: "in the reference", after: "in the candidate", both: "on both sides" } as const;
  if (c.missing) return [`${c.stack}: stack missing ${where[c.missing]}`];
  const lines = [`${c.stack}: ${identical(c) ? "identical" : `${c.blocks.length} block(s), ${c.assets.length} asset file(s) differ`}`];
  for (const block of c.blocks) {
    lines.push(`  ${block.kind === "added" ? "+" : block.kind === "removed" ? "-" : "~"} ${block.address}`);
    for (const attr of block.attributes) lines.push(`      ${attr.path}: ${show(attr.before)} -> ${show(attr.after)}`);
  }
  for (const asset of c.assets) lines.push(`  ~ asset ${asset}`);
  for (const note of c.metadata) lines.push(`  (metadata, ignored) ${note.path}: ${show(note.before)} -> ${show(note.after)}`);
  return lines;
}
