/**
 * NodejsFunction as a building block in any stack: every field of the
 * provider's LambdaFunctionConfig it does not set itself passes through, the
 * settings a pattern passes (packaging, retention, alarm topic) are plain props,
 * bundling has per-function options with their own cache entries, and the
 * archive provider is added only when the stack has none.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { buildBundle, bundleHandler, bundlingKey } from "../blocks/lambda/bundle";
import { NodejsFunction, NodejsFunctionProps } from "../blocks/lambda/nodejs-function";
import { Rule, rules, StackJson } from "./policy/rules";
import { findOne, onlyOf, PolicyStatement, policyStatements, synthesize } from "./support/synth";

const ENTRY = "__tests__/fixtures/hello-handler.ts";

const scratch: string[] = [];
function freshDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A source file as saved a second ago (a file saved during a build is not recorded in the cache). */
function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const before = new Date(Date.now() - 1000);
  utimesSync(file, before, before);
}

function functionIn(props: Partial<NodejsFunctionProps> = {}, stack = new TerraformStack(Testing.app(), "fn")): TerraformStack {
  new NodejsFunction(stack, "handler", { entry: ENTRY, functionName: "dev-hello", roleName: "dev-hello-role", ...props });
  return stack;
}

describe("the provider's LambdaFunctionConfig passes through", () => {
  test("layers, a VPC, ephemeral storage, architectures and tags need no edit of the construct", () => {
    const { text } = synthesize(
      functionIn({
        layers: ["arn:aws:lambda:ap-northeast-1:123456789012:layer:shared:3"],
        vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
        ephemeralStorage: { size: 1024 },
        architectures: ["arm64"],
        tags: { team: "payments" },
      }),
    );
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      layers: ["arn:aws:lambda:ap-northeast-1:123456789012:layer:shared:3"],
      vpc_config: { subnet_ids: ["subnet-1"], security_group_ids: ["sg-1"] },
      ephemeral_storage: { size: 1024 },
      architectures: ["arm64"],
      tags: { team: "payments" },
      runtime: "nodejs22.x",
      handler: "index.handler",
    });
  });

  test("a user's depends_on joins the construct's own (log group and policy first)", () => {
    const stack = new TerraformStack(Testing.app(), "deps");
    const queue = new SqsQueue(stack, "queue", { name: "q" });
    const fn = onlyOf(synthesize(functionIn({ dependsOn: [queue] }, stack)), "aws_lambda_function").body;
    expect(fn.depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_group\./),
      expect.stringMatching(/^aws_iam_role_policy\./),
      "aws_sqs_queue.queue",
    ]);
  });

  test("FUNCTION_TIMEOUT_MS follows timeout, beside the given variables", () => {
    const fn = onlyOf(synthesize(functionIn({ timeout: 9, environment: { TABLE_NAME: "t" } })), "aws_lambda_function").body;
    expect(fn.environment).toEqual({ variables: { TABLE_NAME: "t", FUNCTION_TIMEOUT_MS: "9000" } });
  });
});

describe("archive packaging: the provider only when the stack has none", () => {
  test("absent: added once, however many functions", () => {
    const stack = functionIn({ packaging: "archive" });
    new NodejsFunction(stack, "other", { entry: ENTRY, functionName: "dev-other", roleName: "dev-other-role", packaging: "archive" });
    const json = synthesize(stack).json as { provider?: { archive?: unknown[] } };
    expect(json.provider?.archive).toHaveLength(1);
  });

  test("the user's own (any id): kept, none added", () => {
    const stack = new TerraformStack(Testing.app(), "own");
    new ArchiveProvider(stack, "my_archive");
    const json = synthesize(functionIn({ packaging: "archive" }, stack)).json as { provider?: { archive?: unknown[] } };
    expect(json.provider?.archive).toHaveLength(1);
  });

  test("asset packaging (the default) never adds it", () => {
    expect(synthesize(functionIn()).text).not.toContain('"archive"');
  });
});

describe("bundling options, per function", () => {
  const src = freshDir("bundling-src-");
  const entry = path.join(src, "index.ts");
  write(path.join(src, "node_modules", "greeter", "index.js"), 'exports.greeting = "hello";\n');
  write(
    entry,
    [
      'import { greeting } from "greeter";',
      "declare const __STAGE__: string;",
      "export const handler = async (): Promise<string> => {",
      "  if (greeting === 'fail') throw new Error('failed in the handler');",
      "  return `${greeting} from ${__STAGE__}`;",
      "};",
      "export const fail = async (): Promise<never> => { throw new Error('failed in the handler'); };",
      "",
    ].join("\n"),
  );
  const code = (dir: string): string => readFileSync(path.join(dir, "index.js"), "utf8");

  test("options that leave every default are the default bundle (one cache entry)", () => {
    expect(bundlingKey(undefined)).toBeUndefined();
    expect(bundlingKey({ minify: true, sourcemap: false, externalModules: [], define: {} })).toBeUndefined();
    expect(bundlingKey({ externalModules: ["b", "a"] })).toBe(bundlingKey({ externalModules: ["a", "b"] }));
  });

  test("define and externalModules: the value is replaced, the module left to run time", () => {
    const bundle = buildBundle(entry, { bundling: { define: { __STAGE__: '"prod"' }, externalModules: ["greeter"] } });
    expect(code(bundle.dir)).toMatch(/require\("greeter"\)/);
    expect(code(bundle.dir)).not.toContain('greeting = "hello"');
    // Run as Lambda would, the external module found at run time (here: the source's node_modules, as a layer would supply it).
    const answer = execFileSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(path.join(bundle.dir, "index.js"))}).handler().then((a) => console.log(a))`],
      { encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(src, "node_modules") } },
    );
    expect(answer.trim()).toBe("hello from prod");
  });

  test("minify: false keeps names and lines; each option set is its own cache entry, hit the second time", () => {
    const cacheDir = freshDir("bundling-cache-");
    const readable = buildBundle(entry, { cacheDir, bundling: { minify: false, define: { __STAGE__: '"dev"' } } });
    const minified = buildBundle(entry, { cacheDir, bundling: { define: { __STAGE__: '"dev"' } } });
    expect(readable.cached).toBe(false);
    expect(minified.cached).toBe(false);
    expect(code(readable.dir).split("\n").length).toBeGreaterThan(code(minified.dir).split("\n").length);
    expect(readable.zipBase64Sha256).not.toBe(minified.zipBase64Sha256);
    const again = buildBundle(entry, { cacheDir, bundling: { minify: false, define: { __STAGE__: '"dev"' } } });
    expect(again.cached).toBe(true);
    expect(again.zipBase64Sha256).toBe(readable.zipBase64Sha256);
  });

  test("sourcemap: the map ships in the zip, Node is told to use it, and a stack trace names the TypeScript file", () => {
    const stack = new TerraformStack(Testing.app(), "maps");
    new NodejsFunction(stack, "handler", {
      entry,
      functionName: "dev-maps",
      roleName: "dev-maps-role",
      environment: { NODE_OPTIONS: "--max-old-space-size=100" },
      bundling: { sourcemap: true, define: { __STAGE__: '"dev"' } },
    });
    const fn = onlyOf(synthesize(stack), "aws_lambda_function").body;
    expect(fn.environment).toMatchObject({ variables: { NODE_OPTIONS: "--max-old-space-size=100 --enable-source-maps" } });

    const bundle = bundleHandler(entry, { sourcemap: true, define: { __STAGE__: '"dev"' } });
    expect(execFileSync("unzip", ["-Z1", bundle.zipFile]).toString().trim().split("\n")).toEqual(["index.js", "index.js.map"]);
    const out = freshDir("bundling-unzip-");
    execFileSync("unzip", ["-q", bundle.zipFile, "-d", out]);
    const trace = execFileSync(
      process.execPath,
      ["--enable-source-maps", "-e", `require(${JSON.stringify(path.join(out, "index.js"))}).fail().catch((e) => console.log(e.stack))`],
      { encoding: "utf8" },
    );
    expect(trace).toMatch(/index\.ts:\d+/);
  });

  test("a missing entry is a clear error naming it", () => {
    expect(() => bundleHandler(path.join(src, "nowhere.ts"))).toThrow(/NodejsFunction: entry .*nowhere\.ts not found/);
  });
});

describe("logging: Lambda's JSON format, levels from props", () => {
  test("by default: JSON, application INFO, system WARN, into the function's own log group", () => {
    const fn = onlyOf(synthesize(functionIn()), "aws_lambda_function").body;
    expect(fn.logging_config).toEqual({
      log_format: "JSON",
      application_log_level: "INFO",
      system_log_level: "WARN",
      log_group: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.handler_log_group_\w+\.name\}$/),
    });
  });

  test("levels given, as values or as a Terraform variable", () => {
    const stack = new TerraformStack(Testing.app(), "levels");
    const level = new TerraformVariable(stack, "log_level", { type: "string", default: "INFO" });
    const fn = onlyOf(synthesize(functionIn({ logLevel: level.stringValue, systemLogLevel: "DEBUG" }, stack)), "aws_lambda_function").body;
    expect(fn.logging_config).toMatchObject({ application_log_level: "${var.log_level}", system_log_level: "DEBUG" });
  });

  test("a level Lambda does not know is a synth error naming the prop and the choices", () => {
    expect(() => functionIn({ logLevel: "VERBOSE" })).toThrow('NodejsFunction fn/handler: logLevel "VERBOSE" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL');
    expect(() => functionIn({ systemLogLevel: "ERROR" })).toThrow(/systemLogLevel "ERROR" is not one of DEBUG, INFO, WARN/);
  });
});

describe("tracing: off by default; on, Lambda's active tracing and X-Ray's two write actions", () => {
  const starRule = rules.find((r) => r.id === "iam-no-star-resource") as Rule;
  const xray = (statements: PolicyStatement[]) => statements.filter((s) => (s.actions ?? []).some((a) => a.startsWith("xray:")));

  test("off: no tracing_config, no X-Ray action", () => {
    const synth = synthesize(functionIn());
    expect(onlyOf(synth, "aws_lambda_function").body.tracing_config).toBeUndefined();
    expect(xray(policyStatements(synth, "handler_policy_document"))).toEqual([]);
  });

  test("on: mode Active, PutTraceSegments and PutTelemetryRecords on * (and only those), the policy suite content", () => {
    for (const rolePolicy of [undefined, { kind: "managed" as const, name: "dev-hello-policy" }]) {
      const synth = synthesize(functionIn({ tracing: true, rolePolicy }));
      expect(onlyOf(synth, "aws_lambda_function").body.tracing_config).toEqual({ mode: "Active" });
      expect(xray(policyStatements(synth, "handler_policy_document"))).toEqual([
        expect.objectContaining({ actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] }),
      ]);
      expect(starRule.check(synth.json as StackJson)).toEqual([]);
    }
  });

  test("the policy suite refuses X-Ray on * for a function without active tracing, and anything else on * beside it", () => {
    const untraced = synthesize(functionIn({ statements: [{ actions: ["xray:PutTraceSegments"], resources: ["*"] }] }));
    expect(starRule.check(untraced.json as StackJson)).toEqual([expect.objectContaining({ detail: 'action "xray:PutTraceSegments" on Resource "*"' })]);
    const traced = synthesize(functionIn({ tracing: true, statements: [{ actions: ["xray:PutTraceSegments", "xray:GetTraceSummaries"], resources: ["*"] }] }));
    expect(starRule.check(traced.json as StackJson)).toEqual([expect.objectContaining({ detail: 'action "xray:GetTraceSummaries" on Resource "*"' })]);
  });

  const boolVariable = (stack: TerraformStack, name: string) => {
    const v = new TerraformVariable(stack, name, { type: "bool", default: false });
    v.overrideLogicalId(name);
    return v.booleanValue;
  };

  test("a bool token: mode Active or PassThrough at plan time, the X-Ray statement a dynamic one under the same variable, which the policy suite accepts", () => {
    const stack = new TerraformStack(Testing.app(), "fn");
    const synth = synthesize(functionIn({ tracing: boolVariable(stack, "tracing") }, stack));
    expect(onlyOf(synth, "aws_lambda_function").body.tracing_config).toEqual({ mode: '${var.tracing ? "Active" : "PassThrough"}' });
    expect(xray(policyStatements(synth, "handler_policy_document"))).toEqual([]);
    const doc = findOne(synth, "aws_iam_policy_document", (_body, name) => name.startsWith("handler_policy_document"), "data").body;
    expect(doc.dynamic).toEqual({
      statement: {
        for_each: '${var.tracing ? ["WriteTraces"] : []}',
        content: { sid: "${statement.value}", actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
      },
    });
    expect(starRule.check(synth.json as StackJson)).toEqual([]);
  });

  test("the policy suite refuses a dynamic X-Ray statement under another variable than the function's tracing, or beside an untraced function", () => {
    const dynamicXray = (fn: NodejsFunction, condition: string) =>
      fn.policyDocument.addOverride("dynamic.statement", {
        for_each: `\${${condition} ? ["X"] : []}`,
        content: { sid: "${statement.value}", actions: ["xray:PutTraceSegments"], resources: ["*"] },
      });
    const other = new TerraformStack(Testing.app(), "fn");
    const traced = new NodejsFunction(other, "handler", { entry: ENTRY, functionName: "dev-hello", roleName: "dev-hello-role", tracing: boolVariable(other, "tracing") });
    boolVariable(other, "other");
    dynamicXray(traced, "var.other");
    const untraced = new TerraformStack(Testing.app(), "fn");
    dynamicXray(new NodejsFunction(untraced, "handler", { entry: ENTRY, functionName: "dev-hello", roleName: "dev-hello-role" }), "var.tracing");
    for (const stack of [other, untraced]) {
      const violations = starRule.check(synthesize(stack).json as StackJson);
      expect(violations.map((v) => v.detail)).toEqual(['action "xray:PutTraceSegments" on Resource "*"']);
      expect(violations[0].resource).toMatch(/^data\.aws_iam_policy_document\.handler_policy_document/);
    }
  });
});
