/**
 * Configuration refuses nonsense: every rule of `loadDeployment` (config.ts), one row each, and
 * the entry point's answer to a bad configuration: one line per problem, exit status 2, no stack trace.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { AWS_REGIONS, ConfigurationError, loadDeployment } from "../config";
import { Testing } from "cdktf";
import { STACK_IDS } from "../main";
import { WebhookProxyStack } from "../stacks/webhook-proxy";
import { readSynthesizedStack, StackJson } from "./support/synth";

const run = promisify(execFile);

function problemsOf(vars: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadDeployment(vars);
    return [];
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
}

describe("loadDeployment refuses nonsense, one clear line per problem", () => {
  test.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ["region unknown to the pinned provider", { AWS_REGION: "mars-north-9" }, /^AWS_REGION must be a region hashicorp\/aws 5\.100\.0 knows .*got "mars-north-9"$/],
    ["state bucket region unknown", { STATE_BUCKET: "tf-state", STATE_REGION: "eu-middle-1" }, /^STATE_REGION must be a region/],
    ["e-mail without an @", { ALARM_EMAIL: "not-an-email" }, /^ALARM_EMAIL must be an e-mail address .*got "not-an-email"$/],
    ["e-mail without a domain", { ALARM_EMAIL: "ops@localhost" }, /^ALARM_EMAIL must be an e-mail address/],
    ["boolean that is neither 1/0 nor true/false", { OFFLINE: "yes" }, /^OFFLINE must be 1, 0, true or false, got "yes"$/],
    ["lock table without a bucket", { STATE_LOCK_TABLE: "locks" }, /^STATE_LOCK_TABLE needs STATE_BUCKET/],
    ["state region without a bucket", { STATE_REGION: "eu-west-1" }, /^STATE_REGION needs STATE_BUCKET/],
    ["bucket name S3 refuses", { STATE_BUCKET: "My_Bucket" }, /^STATE_BUCKET must be an S3 bucket name/],
    ["empty environment name", { APP_ENV: "" }, /^APP_ENV is set but empty/],
    ["blank region", { AWS_REGION: "  " }, /^AWS_REGION is set but empty/],
    ["environment name with spaces", { APP_ENV: "Prod Env" }, /^APP_ENV must be lower-case letters/],
    ["unknown packaging", { LAMBDA_PACKAGING: "tarball" }, /^LAMBDA_PACKAGING must be "archive" or "asset", got "tarball"$/],
  ])("%s", (_rule, vars, message) => {
    const problems = problemsOf(vars);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test("every problem is reported at once, not only the first", () => {
    expect(problemsOf({ AWS_REGION: "mars-north-9", ALARM_EMAIL: "x", OFFLINE: "yes", APP_ENV: "" })).toHaveLength(4);
  });

  test.each<[string, NodeJS.ProcessEnv, Partial<ReturnType<typeof loadDeployment>>]>([
    ["OFFLINE=1", { OFFLINE: "1" }, { offline: true }],
    ["OFFLINE=true", { OFFLINE: "true" }, { offline: true }],
    ["OFFLINE=TRUE", { OFFLINE: "TRUE" }, { offline: true }],
    ["OFFLINE=0", { OFFLINE: "0" }, { offline: false }],
    ["OFFLINE=false", { OFFLINE: "false" }, { offline: false }],
    ["a known region", { AWS_REGION: "eu-central-1" }, { region: "eu-central-1" }],
    ["an e-mail address", { ALARM_EMAIL: "ops@example.com" }, { alarmEmail: "ops@example.com" }],
    ["nothing set: the seeds' defaults", {}, { name: "dev", region: "ap-northeast-1", offline: false }],
  ])("accepts %s", (_case, vars, expected) => {
    expect(loadDeployment(vars)).toMatchObject(expected);
  });

  test("the region list holds the seeds' region and the usual ones, each well formed", () => {
    expect(AWS_REGIONS).toEqual(expect.arrayContaining(["ap-northeast-1", "us-east-1", "eu-west-1"]));
    for (const region of AWS_REGIONS) expect(region).toMatch(/^[a-z]{2}(-[a-z]+)+-\d$/);
  });

  test("synth answers a bad configuration with one line per problem and exit status 2, no stack trace", async () => {
    const result = await run(process.execPath, ["--require", "tsx/cjs", "main.ts"], {
      cwd: path.resolve(__dirname, ".."),
      env: { ...process.env, AWS_REGION: "mars-north-9", ALARM_EMAIL: "not-an-email" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^configuration: AWS_REGION must be/),
      expect.stringMatching(/^configuration: ALARM_EMAIL must be/),
    ]);
  }, 60_000);
});

/** Every stack, from the run's shared synth (support/global-setup.ts: the defaults plus an alarm e-mail). */
const stacks = new Map<string, StackJson>();

beforeAll(() => {
  for (const id of STACK_IDS) stacks.set(id, readSynthesizedStack("app", id));
});

describe("one environment name: APP_ENV", () => {
  test.each(STACK_IDS)("%s: no resource tags an environment of its own (the provider's default tag does)", (id) => {
    const own = Object.entries(stacks.get(id)?.resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName)
        .filter(([, body]) => Object.keys(body.tags ?? {}).some((k) => /^(app_?)?env(ironment)?$/i.test(k)))
        .map(([name]) => `${type}.${name}`),
    );
    expect(own).toEqual([]);
  });

  test.each(STACK_IDS)("%s: no Terraform variable restates the environment", (id) => {
    const names = Object.keys(stacks.get(id)?.variable ?? {});
    expect(names.filter((n) => /^(app_?)?env(ironment)?(_name)?$/i.test(n))).toEqual([]);
  });
});

describe("local state: one file per environment and region", () => {
  test.each([
    [{}, undefined],
    [{ APP_ENV: "prod" }, "prod"],
    [{ AWS_REGION: "us-east-1" }, "us-east-1"],
    [{ APP_ENV: "prod", AWS_REGION: "us-east-1" }, "prod.us-east-1"],
  ])("%j -> qualifier %s (the default keeps terraform.<stack>.tfstate)", (vars, qualifier) => {
    expect(loadDeployment(vars).stateBackend).toEqual(qualifier ? { kind: "local", qualifier } : { kind: "local" });
  });

  test("an environment named like a region is refused (its state file would be the region's)", () => {
    expect(() => loadDeployment({ APP_ENV: "us-east-1" })).toThrow(/APP_ENV must be .*not a region's name/);
  });

  test("prod's stacks synthesize their own state file, never dev's", () => {
    const prod = new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment: loadDeployment({ APP_ENV: "prod", OFFLINE: "1" }) });
    const backend = (JSON.parse(Testing.synth(prod)) as { terraform: { backend: unknown } }).terraform.backend;
    expect(backend).toEqual({ local: { path: "../../../terraform.prod.webhook-proxy.tfstate" } });
  });
});

describe("example.tfvars (planned by the Terraform proofs, terraform.test.ts and hcl-export.test.ts)", () => {
  // Terraform only warns about a var-file key no variable declares: a stale key would pass unseen.
  test.each(STACK_IDS)("%s has one, and every key in it is a variable of the stack", (id) => {
    const file = path.resolve(__dirname, "..", "stacks", id, "example.tfvars");
    expect(existsSync(file)).toBe(true);
    const keys = readFileSync(file, "utf8")
      .split("\n")
      .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=/.exec(line)?.[1])
      .filter((k): k is string => k !== undefined);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !(k in (stacks.get(id)?.variable ?? {})))).toEqual([]);
  });
});
