/**
 * Block shapes (which keys are nested blocks) from the providers' own schemas, as Terraform
 * reads them: `terraform providers schema -json` in a folder that requires the same providers
 * as the stacks (local mirror when there is one, see scripts/tf-env.sh).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

/** Runs Terraform once for every provider in `requiredProviders` (a merged `required_providers`). */
export function loadProviderShapes(requiredProviders: Record<string, unknown>): ProviderShapes {
  const dir = mkdtempSync(path.join(tmpdir(), "hcl-schema-"));
  try {
    writeFileSync(
      path.join(dir, "main.tf.json"),
      JSON.stringify({ terraform: { required_providers: requiredProviders } }, null, 2),
    );
    const json = execFileSync("bash", [path.join(__dirname, "..", "tf-schema.sh"), dir], {
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
      stdio: ["ignore", "pipe", "inherit"],
    });
    return shapesFromSchema(JSON.parse(json) as SchemaDocument);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
