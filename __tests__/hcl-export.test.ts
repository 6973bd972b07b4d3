/**
 * The way out of CDKTF (`npm run synth:hcl`) is a tested exit:
 * - the JSON -> HCL writer keeps every value (escapes, templates, falsy defaults, references),
 *   shown on small cases and proven by Terraform itself evaluating both syntaxes;
 * - every stack's exported HCL passes `terraform init`, `validate` (no warnings) and `plan`
 *   offline with its `example.tfvars`, and plans exactly the JSON's resources, with the same
 *   literal settings.
 * Without a `terraform` CLI the Terraform parts are skipped, loudly (as terraform.test.ts).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { STACK_IDS } from "../main";
import { defaultDeployment } from "../config";
import { exportHcl, fallbackApplies, refusedOutdir } from "../tools/hcl/export-hcl";
import { ProviderInstallError } from "../tools/hcl/schema";
import {
  BlockShape,
  Json,
  jsonToHcl,
  literalString,
  parseTemplate,
  ProviderShapes,
  templateExpression,
  valueExpression,
} from "../tools/hcl/writer";
import { exampleVarFiles, terraformAvailable } from "../scripts/terraform-check";
import { proveStacks } from "../scripts/terraform/prove";
import { skipLoudly } from "./support/skips";
import { sharedSynthDir } from "./support/synth";

const run = promisify(execFile);
const available = terraformAvailable();

describe("JSON -> HCL writer", () => {
  test.each([
    ["a backslash stays a backslash (seed 000's selection pattern)", "4\\d{2}", '"4\\\\d{2}"'],
    ["quotes and control characters are escaped", 'say "hi"\n\tnow', '"say \\"hi\\"\\n\\tnow"'],
    ["one interpolation and nothing else is the bare expression", "${aws_sqs_queue.q.arn}", "aws_sqs_queue.q.arn"],
    ["a for expression in an interpolation", "${{ for k, v in x: k => v }}", "{ for k, v in x: k => v }"],
    ["text around interpolations stays a template", "${aws_lambda_function.f.arn}:*", '"${aws_lambda_function.f.arn}:*"'],
    ["quotes inside an interpolation are code, not text", '${jsonencode({"a" = "b\\\\c"})}', 'jsonencode({"a" = "b\\\\c"})'],
    ["a literal ${ (escaped as $${) stays literal", "cost: $${price} \\", '"cost: $${price} \\\\"'],
    ["a nested template inside an interpolation", '${x == "a${y}" ? 1 : 2}!', '"${x == "a${y}" ? 1 : 2}!"'],
  ])("template: %s", (_why, json, hcl) => {
    expect(templateExpression(json)).toBe(hcl);
  });

  test("parseTemplate splits text from code, with braces inside strings of the code", () => {
    expect(parseTemplate('a${f("}")}b%{ if x }c%{ endif }')).toEqual([
      { kind: "literal", text: "a" },
      { kind: "code", text: '${f("}")}' },
      { kind: "literal", text: "b" },
      { kind: "code", text: "%{ if x }" },
      { kind: "literal", text: "c" },
      { kind: "code", text: "%{ endif }" },
    ]);
    expect(() => parseTemplate("${unterminated")).toThrow(/unterminated/);
  });

  test("literal strings (defaults, descriptions) cannot interpolate", () => {
    expect(literalString("${var.x} and %{ if }\\")).toBe('"$${var.x} and %%{ if }\\\\"');
  });

  test.each<[string, Json]>([
    ["zero", 0],
    ["false", false],
    ["an empty string", ""],
    ["an empty list", []],
    ["an empty map", {}],
  ])("a falsy variable default survives: %s", (_name, value) => {
    const hcl = jsonToHcl({ variable: { v: { type: "any", default: value } } }, { resources: {}, dataSources: {}, providers: {} });
    expect(hcl).toContain(`default = ${valueExpression(value, literalString)}`);
  });

  test("nested blocks follow the provider schema; map attributes stay attributes; references are bare", () => {
    const shape: BlockShape = { blocks: { environment: { nesting: "list", shape: { blocks: {} } } } };
    const shapes: ProviderShapes = { resources: { aws_lambda_function: shape }, dataSources: {}, providers: {} };
    const hcl = jsonToHcl(
      {
        resource: {
          aws_lambda_function: {
            f: {
              environment: [{ variables: { TABLE_NAME: "${aws_dynamodb_table.t.name}" } }],
              tags: { "team/owner": "ops" },
              depends_on: ["aws_iam_role.r"],
              lifecycle: { ignore_changes: ["tags"] },
              "//": { metadata: { path: "x" } },
            },
          },
        },
      },
      shapes,
    );
    expect(hcl).toMatch(/\n {2}environment \{\n {4}variables = \{\n {6}TABLE_NAME = aws_dynamodb_table\.t\.name\n/);
    expect(hcl).toContain('tags = {\n    "team/owner" = "ops"\n  }');
    expect(hcl).toContain("depends_on = [aws_iam_role.r]");
    expect(hcl).toContain("ignore_changes = [tags]");
    expect(hcl).not.toContain("metadata");
  });

  test("object keys: plain names bare, anything else quoted (a template key stays a template)", () => {
    expect(valueExpression({ plain: 1, "Content-Type": 2, "${var.k}": 3, true: 4 })).toBe(
      '{\n  plain = 1\n  "Content-Type" = 2\n  "${var.k}" = 3\n  "true" = 4\n}',
    );
    expect(valueExpression({ "${var.k}": "x" }, literalString)).toBe('{\n  "$${var.k}" = "x"\n}');
  });

  test("meta-arguments are only meta at a resource's top level; in a nested block they are attributes", () => {
    const shape: BlockShape = { blocks: { identity: { nesting: "list", shape: { blocks: {} } } } };
    const hcl = jsonToHcl(
      { resource: { aws_x: { r: { provider: "aws.west", identity: [{ provider: "cognito" }] } } } },
      { resources: { aws_x: shape }, dataSources: {}, providers: {} },
    );
    expect(hcl).toContain("  provider = aws.west\n");
    expect(hcl).toContain('    provider = "cognito"\n');
  });

  test("a type the provider schema does not know is an error, not a guess", () => {
    expect(() => jsonToHcl({ resource: { aws_nope: { x: {} } } }, { resources: {}, dataSources: {}, providers: {} })).toThrow(
      /no provider schema for resource type aws_nope/,
    );
  });
});

if (!available) skipLoudly("the Terraform proof of the HCL export (hcl-export.test.ts): terraform CLI not found");

(available ? describe : describe.skip)("HCL export, proven by Terraform (offline)", () => {
  const work = mkdtempSync(path.join(tmpdir(), "hcl-export-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("Terraform reads the same values from the JSON and from the HCL the writer makes of it", async () => {
    // Tricky strings as variable defaults (literal) and as outputs (templates); no provider needed.
    const tricky = ["4\\d{2}", 'q"uote', "line\nbreak\ttab", "$${not interpolated}", "%%{ not a directive }", "\\\\server\\share"];
    const document: { [key: string]: Json } = {
      variable: Object.fromEntries([
        ...tricky.map((s, i) => [`s${i}`, { type: "string", default: s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{") }]),
        ["zero", { type: "number", default: 0 }],
        ["off", { type: "bool", default: false }],
        ["none", { type: "list(string)", default: [] }],
      ]),
      output: Object.fromEntries([
        ...tricky.map((s, i) => [`t${i}`, { value: `<${s}>\${var.s${i}}` }]),
        ["falsy", { value: "${[var.zero, var.off, var.none]}" }],
        ["expr", { value: '${jsonencode({"k" = "a\\\\b"})}' }],
      ]),
    };
    const outputs = async (dir: string, file: string, text: string): Promise<unknown> => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, file), text);
      await run("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
      await run("terraform", ["plan", "-input=false", "-no-color", "-out=tfplan"], { cwd: dir });
      const { stdout } = await run("terraform", ["show", "-json", "tfplan"], { cwd: dir });
      return (JSON.parse(stdout) as { planned_values: { outputs: unknown } }).planned_values.outputs;
    };
    const none: ProviderShapes = { resources: {}, dataSources: {}, providers: {} };
    const [fromJson, fromHcl] = await Promise.all([
      outputs(path.join(work, "values-json"), "main.tf.json", JSON.stringify(document)),
      outputs(path.join(work, "values-hcl"), "main.tf", jsonToHcl(document, none)),
    ]);
    expect(Object.keys(fromJson as object)).toHaveLength(tricky.length + 2);
    expect(fromHcl).toEqual(fromJson);
  }, 60_000);

  describe("every stack", () => {
    let jsonOut = "";
    const hclOut = path.join(work, "hcl");
    const plans = new Map<string, { ok: boolean; log: string; plan?: PlanJson }>();

    beforeAll(async () => {
      jsonOut = sharedSynthDir("offline");
      exportHcl(jsonOut, hclOut);
      // Every stack's HCL in one Terraform run of the project's pool, with the saved plan (a failure is re-planned alone).
      const dirs = STACK_IDS.map((stack) => path.join(hclOut, "stacks", stack));
      const results = await proveStacks(dirs, { varFiles: (dir) => exampleVarFiles(path.basename(dir)), planJson: true });
      STACK_IDS.forEach((stack, i) => plans.set(stack, { ok: results[i].ok, log: results[i].log, plan: results[i].plan as PlanJson | undefined }));
    }, 600_000);

    test.each(STACK_IDS)("%s: the export holds HCL and assets only, no JSON configuration", (stack) => {
      const dir = path.join(hclOut, "stacks", stack);
      expect(existsSync(path.join(dir, "cdk.tf"))).toBe(true);
      expect(existsSync(path.join(dir, "cdk.tf.json"))).toBe(false);
    });

    test.each(STACK_IDS)("%s: HCL validates without warnings and plans with its example.tfvars", (stack) => {
      const result = plans.get(stack);
      if (!result?.ok) throw new Error(`terraform failed on the HCL of ${stack}:\n${result?.log}`);
      // `plan` validates first and reports every diagnostic, warnings included (scripts/terraform/prove.ts).
      // A stack's own `check` blocks warn by design (webhook-proxy at reserved concurrency 1); nothing else may.
      const warnings = result.log.split("\n").filter((line) => /^warning:/i.test(line) && !/Check block assertion failed/.test(line));
      expect(warnings).toEqual([]);
    });

    test.each(STACK_IDS)("%s: every variable default of the JSON is the HCL's, falsy ones included", (stack) => {
      const json = JSON.parse(readFileSync(path.join(jsonOut, "stacks", stack, "cdk.tf.json"), "utf8")) as {
        variable?: Record<string, { default?: Json }>;
      };
      const hclVariables = plans.get(stack)?.plan?.configuration?.root_module?.variables ?? {};
      const defaults = (vars: Record<string, { default?: unknown }>) =>
        Object.fromEntries(Object.entries(vars).map(([name, v]) => [name, v.default]));
      expect(Object.keys(json.variable ?? {}).length).toBeGreaterThan(0);
      expect(defaults(hclVariables)).toEqual(defaults(json.variable ?? {}));
    });

    test.each(STACK_IDS)("%s: HCL plans exactly the JSON's resources, with the JSON's literal settings", (stack) => {
      const planJson = plans.get(stack)?.plan;
      if (!planJson) throw new Error(`no plan for ${stack}`);
      const json = JSON.parse(readFileSync(path.join(jsonOut, "stacks", stack, "cdk.tf.json"), "utf8")) as {
        resource: Record<string, Record<string, Record<string, Json>>>;
      };
      const declared = new Map<string, Record<string, Json>>(
        Object.entries(json.resource).flatMap(([type, byName]) =>
          Object.entries(byName).map(([name, body]): [string, Record<string, Json>] => [`${type}.${name}`, body]),
        ),
      );
      const unconditional = [...declared]
        .filter(([, body]) => body.count === undefined)
        .map(([address]) => address);
      const created = (planJson.resource_changes ?? []).filter((c) => c.mode === "managed" && c.change.actions.includes("create"));
      const plannedAddresses = new Set<string>(created.map((c) => `${c.type}.${c.name}`));

      expect([...plannedAddresses].filter((a) => !declared.has(a))).toEqual([]);
      expect(unconditional.filter((a) => !plannedAddresses.has(a))).toEqual([]);

      // Every literal top-level setting of the JSON (no interpolation) is what the HCL plans.
      const differences = created.flatMap((c) => {
        const body = declared.get(`${c.type}.${c.name}`) ?? {};
        return Object.entries(body)
          .filter(([key, v]) => key !== "//" && isLiteral(v) && c.change.after?.[key] !== undefined)
          .filter(([key, v]) => !sameSetting(c.change.after?.[key], v))
          .map(([key, v]) => `${c.address}.${key}: JSON ${JSON.stringify(v)}, HCL plan ${JSON.stringify(c.change.after?.[key])}`);
      });
      expect(differences).toEqual([]);
      expect(created.length).toBeGreaterThanOrEqual(unconditional.length);
    });
  });
});

interface PlanJson {
  configuration?: { root_module?: { variables?: Record<string, { default?: unknown }> } };
  resource_changes?: {
    address: string;
    mode: string;
    type: string;
    name: string;
    change: { actions: string[]; after?: Record<string, unknown> };
  }[];
}

function isLiteral(value: Json): boolean {
  return typeof value === "number" || typeof value === "boolean" || (typeof value === "string" && !/[$%]\{/.test(value));
}

/** Equal as planned: numbers may be strings in JSON; the provider normalizes JSON documents (policies). */
function sameSetting(planned: unknown, declared: Json): boolean {
  if (String(planned) === String(declared)) return true;
  const parse = (v: unknown): unknown => {
    try {
      return typeof v === "string" ? JSON.parse(v) : undefined;
    } catch {
      return undefined;
    }
  };
  const a = parse(planned);
  return a !== undefined && JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(parse(declared)));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

(available ? describe : describe.skip)("npm run synth:hcl on its defaults, offline", () => {
  test("exports every stack; where hashicorp/archive cannot be installed, with asset packaging, said in one line", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "hcl-defaults-")), "export");
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: path.dirname(out) };
    for (const name of ["APP_ENV", "AWS_REGION", "LAMBDA_PACKAGING", "OFFLINE", "ALARM_EMAIL", "STATE_BUCKET", "STATE_LOCK_TABLE", "STATE_REGION"]) delete env[name];
    try {
      const { stdout, stderr } = await run(process.execPath, ["--require", "tsx/cjs", "tools/hcl/export-hcl.ts", out], { cwd: path.resolve(__dirname, ".."), env });
      expect(stdout.trim().split("\n")).toHaveLength(STACK_IDS.length);
      const hcl = STACK_IDS.map((id) => readFileSync(path.join(out, "stacks", id, "cdk.tf"), "utf8"));
      if (stderr === "") {
        // The archive provider was installable (online, or in the mirror): the defaults' packaging.
        expect(hcl.join("\n")).toMatch(/data "archive_file"/);
      } else {
        // No raw Terraform error: one line saying what was done instead, and the export self-contained.
        expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/^synth:hcl: hashicorp\/archive cannot be installed here .* exported with LAMBDA_PACKAGING=asset instead/)]);
        expect(hcl.join("\n")).not.toMatch(/archive_file/);
        const zips = hcl[0].match(/filename\s+=\s+"([^"]+\.zip)"/);
        expect(zips && existsSync(path.join(out, "stacks", STACK_IDS[0], zips[1]))).toBe(true);
        // Asked for explicitly, archive packaging cannot be exported here: Terraform's words, then the hint, exit 1.
        const explicit = await run(process.execPath, ["--require", "tsx/cjs", "tools/hcl/export-hcl.ts", `${out}-archive`], {
          cwd: path.resolve(__dirname, ".."),
          env: { ...env, LAMBDA_PACKAGING: "archive" },
        }).then(
          () => ({ code: 0, stderr: "" }),
          (err: { code: number; stderr: string }) => err,
        );
        expect(explicit.code).toBe(1);
        expect(explicit.stderr).toMatch(/hashicorp\/archive/);
        expect(explicit.stderr.trim().split("\n").pop()).toMatch(/^synth:hcl: terraform init could not install hashicorp\/archive\. Offline, export with OFFLINE=1 or LAMBDA_PACKAGING=asset/);
      }
    } finally {
      rmSync(path.dirname(out), { recursive: true, force: true });
    }
  }, 180_000);

  test("only the defaults' packaging falls back; one asked for is kept, and its failure explained", () => {
    const missing = new ProviderInstallError(["hashicorp/archive"], "Error: Failed to query available provider packages");
    expect(fallbackApplies(missing, defaultDeployment, {})).toBe(true);
    expect(fallbackApplies(missing, defaultDeployment, { LAMBDA_PACKAGING: "archive" })).toBe(false);
    expect(fallbackApplies(new ProviderInstallError(["hashicorp/aws"], ""), defaultDeployment, {})).toBe(false);
    expect(fallbackApplies(new Error("fmt failed"), defaultDeployment, {})).toBe(false);
  });
});

describe("where the export goes", () => {
  test("a new, empty or previous export's folder is taken; one holding anything else is refused (it would be replaced)", () => {
    const root = mkdtempSync(path.join(tmpdir(), "hcl-outdir-"));
    try {
      expect(refusedOutdir(path.join(root, "new"))).toBeUndefined();
      mkdirSync(path.join(root, "previous", "stacks", "demo"), { recursive: true });
      expect(refusedOutdir(path.join(root, "previous"))).toBeUndefined();
      mkdirSync(path.join(root, "docs"));
      writeFileSync(path.join(root, "docs", "notes.md"), "mine");
      expect(refusedOutdir(path.join(root, "docs"))).toMatch(/holds more than a previous export \(notes\.md\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
