/**
 * Block shapes (which keys are nested blocks) from the providers' own schemas, as Terraform
 * reads them: `terraform providers schema -json` in a folder that requires the same providers
 * as the stacks (local mirror when there is one, see tools/tf-env.sh), cached per exact
 * provider versions.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { BlockShape, NestedBlock, ProviderShapes } from "./writer";

interface SchemaBlock {
  block_types?: Record<string, { nesting_mode: NestedBlock["nesting"]; block: SchemaBlock }>;
}
interface ProviderSchema {
  provider?: { block: SchemaBlock };
  resource_schemas?: Record<string, { block: SchemaBlock }>;
  data_source_schemas?: Record<string, { block: SchemaBlock }>;
}
export interface SchemaDocument {
  provider_schemas?: Record<string, ProviderSchema>;
}

function shapeOf(block: SchemaBlock): BlockShape {
  const blocks: Record<string, NestedBlock> = {};
  for (const [name, nested] of Object.entries(block.block_types ?? {})) {
    blocks[name] = { nesting: nested.nesting_mode, shape: shapeOf(nested.block) };
  }
  return { blocks };
}

function shapesOf(byType: Record<string, { block: SchemaBlock }> | undefined): Record<string, BlockShape> {
  return Object.fromEntries(Object.entries(byType ?? {}).map(([type, s]) => [type, shapeOf(s.block)]));
}

/** Shapes from a `terraform providers schema -json` document (provider source -> local name). */
export function shapesFromSchema(document: SchemaDocument): ProviderShapes {
  const resources: Record<string, BlockShape> = {};
  const dataSources: Record<string, BlockShape> = {};
  const providers: Record<string, BlockShape> = {};
  for (const [source, schema] of Object.entries(document.provider_schemas ?? {})) {
    Object.assign(resources, shapesOf(schema.resource_schemas));
    Object.assign(dataSources, shapesOf(schema.data_source_schemas));
    if (schema.provider) providers[source.split("/").pop() as string] = shapeOf(schema.provider.block);
  }
  return { resources, dataSources, providers };
}

/**
 * Where shapes are kept between runs: a provider version's schema never changes, so with every
 * provider pinned to an exact version (as this project pins them) the shapes are read from
 * Terraform once per Terraform version and set of providers. Never committed (node_modules).
 */
const SHAPES_CACHE = path.join(__dirname, "..", "..", "node_modules", ".cache", "terraform", "shapes");

/**
 * The block shapes of every provider in `requiredProviders` (a merged `required_providers`):
 * from the cache when all are pinned exactly, else from Terraform (and then cached).
 */
export function loadProviderShapes(requiredProviders: Record<string, unknown>): ProviderShapes {
  const pinned = Object.values(requiredProviders).every((p) => /^\d+\.\d+\.\d+$/.test(String((p as { version?: unknown }).version ?? "")));
  if (!pinned) return readProviderShapes(requiredProviders);
  const terraformVersion = execFileSync("terraform", ["version", "-json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const key = createHash("sha256")
    .update(JSON.stringify([(JSON.parse(terraformVersion) as { terraform_version: string }).terraform_version, requiredProviders]))
    .digest("hex")
    .slice(0, 16);
  const file = path.join(SHAPES_CACHE, `${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ProviderShapes;
  const shapes = readProviderShapes(requiredProviders);
  mkdirSync(SHAPES_CACHE, { recursive: true });
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(shapes));
  renameSync(`${file}.${process.pid}.tmp`, file); // parallel exports never read half a file
  return shapes;
}

/** Terraform could not install a provider the stacks require (offline, and not in the mirror): its own words in `log`. */
export class ProviderInstallError extends Error {
  constructor(
    /** The sources of the required providers Terraform names in its error (`hashicorp/archive`). */
    readonly providers: readonly string[],
    readonly log: string,
  ) {
    super(`terraform init could not install ${providers.length > 0 ? providers.join(", ") : "the providers"}`);
    this.name = "ProviderInstallError";
  }
}

/** Runs Terraform once for every provider in `requiredProviders`. */
function readProviderShapes(requiredProviders: Record<string, unknown>): ProviderShapes {
  const dir = mkdtempSync(path.join(tmpdir(), "hcl-schema-"));
  try {
    writeFileSync(
      path.join(dir, "main.tf.json"),
      JSON.stringify({ terraform: { required_providers: requiredProviders } }, null, 2),
    );
    let json: string;
    try {
      json = execFileSync("bash", [path.join(__dirname, "tf-schema.sh"), dir], {
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      const log = String((err as { stderr?: unknown }).stderr ?? "");
      const sources = Object.values(requiredProviders).map((p) => String((p as { source?: unknown }).source ?? ""));
      // The providers its errors name (the progress lines above them name every provider).
      const errors = log.includes("Error:") ? log.slice(log.indexOf("Error:")) : log;
      const named = sources.map((source) => (source.includes("/") ? source : `hashicorp/${source}`)).filter((source) => errors.includes(source));
      throw new ProviderInstallError(named, log);
    }
    return shapesFromSchema(JSON.parse(json) as SchemaDocument);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
