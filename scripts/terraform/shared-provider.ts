/**
 * One provider configuration for several folders planned in one Terraform run
 * (scripts/terraform/prove.ts). Each configuration Terraform meets is one more
 * AWS provider process (~0.8 s of CPU and ~300 MB to start); folders whose
 * configurations are the same can share one: their blocks move from the
 * module copies to the run's root, whose default configuration every module
 * inherits.
 *
 * "The same" allows one difference: the values of `default_tags`. Each stack
 * tags its resources with its own name, and a tag value, a string in a map of
 * strings, cannot make a configuration valid or invalid; the plan still
 * validates the shared block with one folder's tags. What differs in anything
 * else (region, skips, an `alias`, a second block of a kind) keeps its own
 * block, and its own process.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** A folder's provider configurations, ready to be shared. */
export interface ProviderConfigs {
  /** Equal for folders whose configurations differ at most in default tag values. */
  readonly key: string;
  /** The configurations as files of the run's root: name -> content. */
  readonly rootFiles: Readonly<Record<string, string>>;
  /** Removes the configurations from a copy of the folder. */
  strip(copy: string): void;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A top-level `provider "<type>" { ... }` block of `terraform fmt`-formatted HCL (its closing brace at column 0). */
const HCL_PROVIDER_BLOCK = /^provider "([^"]+)" \{\n[\s\S]*?^\}\n?/gm;

/**
 * The folder's provider configurations, if they can be shared: one block per
 * provider type, none with an alias, all in one file (JSON or HCL). Undefined
 * otherwise, or when there are none.
 */
export function providerConfigs(dir: string): ProviderConfigs | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith(".tf") || f.endsWith(".tf.json"));
  const withProviders = files.filter((f) => providersIn(path.join(dir, f)) !== undefined);
  if (withProviders.length !== 1) return undefined;
  const file = withProviders[0];
  return file.endsWith(".tf.json") ? fromJson(dir, file) : fromHcl(dir, file);
}

function providersIn(file: string): unknown {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".tf.json")) return (JSON.parse(text) as { provider?: unknown }).provider;
  return text.match(HCL_PROVIDER_BLOCK) ?? undefined;
}

function fromJson(dir: string, file: string): ProviderConfigs | undefined {
  const document = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as { provider: Record<string, Json>; terraform?: { required_providers?: Json } };
  const configs: Record<string, { [key: string]: Json }> = {};
  for (const [type, value] of Object.entries(document.provider)) {
    const list = Array.isArray(value) ? value : [value];
    const only = list[0];
    if (list.length !== 1 || !only || typeof only !== "object" || Array.isArray(only) || "alias" in only) return undefined;
    configs[type] = only;
  }
  const withoutTagValues = Object.fromEntries(
    Object.entries(configs).map(([type, config]) => [type, { ...config, default_tags: blankTagValues(config.default_tags ?? null) }]),
  );
  const root = { provider: document.provider, terraform: { required_providers: document.terraform?.required_providers ?? {} } };
  return {
    key: `json:${JSON.stringify(withoutTagValues)}`,
    rootFiles: { "providers.tf.json": JSON.stringify(root, null, 2) },
    strip: (copy) => {
      const target = path.join(copy, file);
      const { provider: _, ...rest } = JSON.parse(readFileSync(target, "utf8")) as { provider?: unknown };
      writeFileSync(target, JSON.stringify(rest));
    },
  };
}

/** `default_tags` (a list of `{ tags: {...} }` in JSON) with every tag value replaced by "". */
function blankTagValues(defaultTags: Json): Json {
  if (!Array.isArray(defaultTags)) return defaultTags;
  return defaultTags.map((block) => {
    if (!block || typeof block !== "object" || Array.isArray(block)) return block;
    const tags = block.tags;
    if (!tags || typeof tags !== "object" || Array.isArray(tags)) return block;
    return { ...block, tags: Object.fromEntries(Object.keys(tags).map((k) => [k, ""])) };
  });
}

function fromHcl(dir: string, file: string): ProviderConfigs | undefined {
  const text = readFileSync(path.join(dir, file), "utf8");
  const blocks = text.match(HCL_PROVIDER_BLOCK) ?? [];
  const types = blocks.map((b) => /^provider "([^"]+)"/.exec(b)?.[1]);
  if (new Set(types).size !== blocks.length || blocks.some((b) => /^\s+alias\s*=/m.test(b))) return undefined;
  // Tag values blanked: `key = "value"` lines inside a `default_tags` block.
  const key = blocks
    .map((b) => b.replace(/^(\s*)default_tags \{\n[\s\S]*?^\1\}/m, (tags) => tags.replace(/^(\s*(?:"[^"]*"|[\w-]+)\s*=\s*)"(?:[^"\\]|\\.)*"/gm, '$1""')))
    .join("\n");
  return {
    key: `hcl:${key}`,
    rootFiles: { "providers.tf": blocks.join("\n") },
    strip: (copy) => {
      const target = path.join(copy, file);
      if (existsSync(target)) writeFileSync(target, readFileSync(target, "utf8").replace(HCL_PROVIDER_BLOCK, ""));
    },
  };
}
