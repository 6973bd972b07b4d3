/**
 * The pure parts of `npm run check:cdktn` (the script itself installs packages and
 * takes minutes, so it is not part of `npm test`): the stack comparison that must
 * ignore only metadata and name each differing resource, and the upgrade guide's
 * edits to package.json, imports and CLI commands. No network, no synth.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { nodeAtLeast, toCdktnCommands, toCdktnImports, toCdktnPackageJson } from "../scripts/check-cdktn";
import { compareSynthDirs, compareTerraformJson, formatComparison, identical } from "../scripts/synth-diff";

/** A small stack as cdktf writes it: top-level metadata, a provider, a resource, a data source, a variable. */
function stackJson(version = "0.21.0") {
  return {
    "//": { metadata: { backend: "local", stackName: "demo", version } },
    provider: { aws: [{ region: "ap-northeast-1" }] },
    resource: {
      aws_sqs_queue: {
        queue: { "//": { metadata: { path: "demo/queue", uniqueId: "queue" } }, name: "dev-queue", visibility_timeout_seconds: 30 },
      },
      aws_lambda_function: { handler: { function_name: "dev-handler", environment: { variables: { QUEUE_URL: "${aws_sqs_queue.queue.url}" } } } },
    },
    data: { aws_caller_identity: { current: {} } },
    variable: { concurrency: { type: "number", default: 2 } },
  };
}

describe("compareTerraformJson", () => {
  test("identical stacks apart from the core's version stamp: no difference, the stamp as a note", () => {
    const result = compareTerraformJson(stackJson("0.21.0"), stackJson("0.24.0"));
    expect(result.blocks).toEqual([]);
    expect(result.metadata).toEqual([{ path: "metadata.version", before: "0.21.0", after: "0.24.0" }]);
  });

  test("a changed attribute names the resource and the attribute path", () => {
    const after = stackJson();
    after.resource.aws_sqs_queue.queue.visibility_timeout_seconds = 60;
    after.resource.aws_lambda_function.handler.environment.variables.QUEUE_URL = "other";
    const { blocks } = compareTerraformJson(stackJson(), after);
    expect(blocks).toEqual([
      {
        address: "aws_lambda_function.handler",
        kind: "changed",
        attributes: [{ path: "environment.variables.QUEUE_URL", before: "${aws_sqs_queue.queue.url}", after: "other" }],
      },
      { address: "aws_sqs_queue.queue", kind: "changed", attributes: [{ path: "visibility_timeout_seconds", before: 30, after: 60 }] },
    ]);
  });

  test("added and removed blocks, a provider setting, and a resource's own metadata all count", () => {
    const after = stackJson() as ReturnType<typeof stackJson> & { output?: Record<string, { value: string }> };
    delete (after.data as Partial<typeof after.data>).aws_caller_identity;
    after.output = { queue_url: { value: "${aws_sqs_queue.queue.url}" } };
    after.provider.aws[0].region = "us-east-1";
    after.resource.aws_sqs_queue.queue["//"].metadata.uniqueId = "queue_1";
    const kinds = compareTerraformJson(stackJson(), after).blocks.map((b) => `${b.kind} ${b.address}`);
    expect(kinds).toEqual([
      "changed aws_sqs_queue.queue",
      "removed data.aws_caller_identity.current",
      "added output.queue_url",
      "changed provider.aws",
    ]);
  });
});

describe("compareSynthDirs", () => {
  let root: string;
  const writeStack = (app: string, stack: string, json: object, asset: string): void => {
    const dir = path.join(root, app, "stacks", stack);
    mkdirSync(path.join(dir, "assets", "handler"), { recursive: true });
    writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(json));
    writeFileSync(path.join(dir, "assets", "handler", "index.js"), asset);
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "synth-diff-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test("same JSON and assets: identical; a changed asset or a missing stack is a difference", () => {
    writeStack("before", "demo", stackJson("0.21.0"), "exports.handler = 1;");
    writeStack("after", "demo", stackJson("0.24.0"), "exports.handler = 1;");
    const [same] = compareSynthDirs(path.join(root, "before"), path.join(root, "after"));
    expect(identical(same)).toBe(true);
    expect(formatComparison(same)).toEqual(["demo: identical", '  (metadata, ignored) metadata.version: "0.21.0" -> "0.24.0"']);

    writeStack("after", "demo", stackJson("0.24.0"), "exports.handler = 2;");
    writeStack("before", "extra", stackJson(), "");
    const [asset, missing] = compareSynthDirs(path.join(root, "before"), path.join(root, "after"));
    expect(asset.assets).toEqual(["handler/index.js"]);
    expect(formatComparison(asset)).toContain("  ~ asset handler/index.js");
    expect(formatComparison(missing)).toEqual(["extra: stack missing in the candidate"]);
    expect([asset, missing].some(identical)).toBe(false);
  });
});

describe("the upgrade guide's edits", () => {
  test("package.json: cdktf -> cdktn, cdktf-cli -> cdktn-cli, CLI commands renamed, overrides for prebuilt providers", () => {
    const moved = toCdktnPackageJson({
      name: "app",
      scripts: { synth: "tsx main.ts", "synth:cdktf": "CHECKPOINT_DISABLE=1 cdktf synth" },
      dependencies: { "@cdktf/provider-aws": "20.1.0", cdktf: "0.21.0", constructs: "10.7.2" },
      devDependencies: { "cdktf-cli": "0.21.0", jest: "29.7.0" },
    });
    expect(moved).toEqual({
      name: "app",
      scripts: { synth: "tsx main.ts", "synth:cdktf": "CHECKPOINT_DISABLE=1 cdktn synth" },
      dependencies: { "@cdktf/provider-aws": "20.1.0", cdktn: "0.24.0", constructs: "10.7.2" },
      devDependencies: { "cdktn-cli": "0.24.0", jest: "29.7.0" },
      overrides: { cdktf: "npm:cdktn@0.24.0" },
    });
    expect(() => toCdktnPackageJson({ dependencies: {} })).toThrow(/no `cdktf` dependency/);
  });

  test("imports move to cdktn; provider packages and other strings stay", () => {
    const source = [
      'import { App, TerraformStack } from "cdktf";',
      'import "cdktf/lib/testing/adapters/jest";',
      "const { Fn } = require('cdktf');",
      'import { Queue } from "@cdktf/provider-aws/lib/sqs-queue";',
      'const prefix = backend.keyPrefix ?? "cdktf";',
    ].join("\n");
    expect(toCdktnImports(source).split("\n")).toEqual([
      'import { App, TerraformStack } from "cdktn";',
      'import "cdktn/lib/testing/adapters/jest";',
      "const { Fn } = require('cdktn');",
      'import { Queue } from "@cdktf/provider-aws/lib/sqs-queue";',
      'const prefix = backend.keyPrefix ?? "cdktf";',
    ]);
  });

  test("CLI commands move to cdktn; file and folder names stay", () => {
    expect(toCdktnCommands('npx cdktf synth --hcl --output "$out"  # cdktf.out.hcl, no cdktf needed')).toBe(
      'npx cdktn synth --hcl --output "$out"  # cdktf.out.hcl, no cdktf needed',
    );
  });

  test("the CLI's Node.js floor is 22.19", () => {
    expect([nodeAtLeast("v20.20.2"), nodeAtLeast("22.18.0"), nodeAtLeast("v22.19.0"), nodeAtLeast("24.1.0")]).toEqual([false, false, true, true]);
  });
});
