/**
 * The deploy path offline (scripts/check-deploy.ts), on one stack (it is slow: two cdktf
 * runs with the AWS provider, and a `terraform init`): `cdktf diff` shows the plan, `cdktf
 * deploy` in a pseudo-terminal reaches its approval prompt and, declined, exits 0 having
 * written no state, and archive packaging stops at `terraform init` (or gets past it, where the
 * registry can be reached). Real terraform, the local provider mirror, no AWS account.
 * Skipped, loudly (support/skips.ts), without terraform, the mirror or util-linux `script`.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  cdktfArguments,
  checkDeploy,
  deployEnvironment,
  MIRROR,
  missingPrerequisite,
  offlineCliConfig,
  plainText,
  providersIn,
  type StepResult,
} from "../scripts/check-deploy";
import { skipLoudly } from "./support/skips";
import { sharedSynthDir } from "./support/synth";

const missing = missingPrerequisite();
if (missing) skipLoudly(`the offline deploy check (check-deploy.test.ts): ${missing}`);

describe("the settings the check (and docs/operations.md) use", () => {
  test("the CLI configuration takes exactly the mirror's providers from the mirror, and only from there", () => {
    const config = offlineCliConfig(MIRROR);
    const mirrored = providersIn(MIRROR);
    for (const provider of mirrored) expect(config.match(new RegExp(`"${provider}"`, "g"))).toHaveLength(2);
    expect(config).toContain(`path    = "${MIRROR}"`);
    expect(config).not.toContain("hashicorp/archive");
  });

  test("the environment: offline synth, asset or archive packaging, no version check, dummy credentials, nothing that would change what is checked", () => {
    const env = deployEnvironment("/tmp/x.tfrc", "asset", {
      PATH: "/bin",
      STATE_BUCKET: "b",
      APP_ENV: "prod",
      AWS_PROFILE: "p",
      AWS_SESSION_TOKEN: "t",
      TF_INPUT: "0",
      TF_IN_AUTOMATION: "1",
      TF_CLI_ARGS_plan: "-refresh=false",
    });
    expect(env).toMatchObject({ PATH: "/bin", TF_CLI_CONFIG_FILE: "/tmp/x.tfrc", CHECKPOINT_DISABLE: "1", OFFLINE: "1", LAMBDA_PACKAGING: "asset" });
    expect(env.AWS_ACCESS_KEY_ID).toEqual(expect.any(String));
    for (const name of ["STATE_BUCKET", "APP_ENV", "AWS_PROFILE", "AWS_SESSION_TOKEN", "TF_INPUT", "TF_IN_AUTOMATION", "TF_CLI_ARGS_plan"]) expect(env[name]).toBeUndefined();
    expect(deployEnvironment("/tmp/x.tfrc", "archive", {}).LAMBDA_PACKAGING).toBe("archive");
    expect(cdktfArguments("deploy", "kinesis-ingest", "/tmp/o")).toEqual([
      "deploy",
      "kinesis-ingest",
      "--skip-provider-lock",
      "--output=/tmp/o",
      `--var-file=${path.resolve(__dirname, "..", "stacks", "kinesis-ingest", "example.tfvars")}`,
    ]);
  });

  test("terminal output is read as text: colours, cursor moves and carriage returns removed", () => {
    expect(plainText("\x1b[2K\x1b[1A\x1b[32m+\x1b[0m add\r\n\x1b]0;title\x07❯ Dismiss")).toBe("+ add\n❯ Dismiss");
  });

  test("a usage error is one line and exit status 2, nothing run", () => {
    const res = spawnSync(process.execPath, ["--require", "tsx/cjs", "scripts/check-deploy.ts", "--bogus"], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^check-deploy: unknown option --bogus\nusage:/);
  });
});

(missing ? describe.skip : describe)("npx cdktf diff / deploy offline, with the provider mirror (kinesis-ingest)", () => {
  let results: StepResult[] = [];
  const step = (name: StepResult["step"]): StepResult => {
    const found = results.find((r) => r.step === name);
    if (!found) throw new Error(`no ${name} step ran: ${results.map((r) => `${r.step}: ${r.summary}`).join("; ")}`);
    return found;
  };

  beforeAll(async () => {
    // The archive step inits from the run's shared synth (default packaging: archive) instead of synthesizing again.
    ({ results } = await checkDeploy({ stack: "kinesis-ingest", archiveFrom: sharedSynthDir("app") }));
  }, 600_000);

  test("cdktf diff synthesizes, initializes from the mirror and shows the plan: everything to add", () => {
    const diff = step("diff");
    expect(diff.summary).toMatch(/^plan shown: Plan: [1-9]\d* to add, 0 to change, 0 to destroy$/);
    expect(diff.output).toContain("aws_kinesis_stream.");
    expect(diff.ok).toBe(true);
  });

  test("cdktf deploy reaches its approval prompt; Dismiss exits 0 and writes no state", () => {
    const deploy = step("deploy");
    expect(deploy.output).toContain("Please review the diff output above for kinesis-ingest");
    expect(deploy.output).toMatch(/Apply cancelled/);
    expect(deploy.summary).toMatch(/Dismiss picked: exit 0, no state written$/);
    expect(deploy.ok).toBe(true);
  });

  test("archive packaging cannot get there offline: terraform init finds hashicorp/archive in no mirror (or, with network, it gets past init)", () => {
    const archive = step("archive");
    expect(archive.summary).toMatch(/^(stops at terraform init, as expected offline: hashicorp\/archive|gets past terraform init too)/);
    expect(archive.ok).toBe(true);
  });
});
