/**
 * The stack registry in main.ts is the one list of stacks: the app builds
 * exactly its entries, and each entry has its seed, its folder and its
 * recorded addresses, so a stack cannot silently skip the suites that derive from it.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { defaultDeployment } from "../config";
import { buildApp, STACK_IDS, STACKS } from "../main";

const root = path.resolve(__dirname, "..");

test("the app's stacks are exactly the registry's, in order", () => {
  const app = buildApp(defaultDeployment, mkdtempSync(path.join(tmpdir(), "registry-")));
  const built = app.node.children.filter((child): child is TerraformStack => child instanceof TerraformStack);
  expect(built.map((stack) => stack.node.id)).toEqual([...STACK_IDS]);
});

test("stack ids are unique", () => {
  expect(new Set(STACK_IDS).size).toBe(STACK_IDS.length);
});

// The seeds live beside the project (../shared/seeds), not in it: checked where present.
const seeds = path.join(root, "..", "shared", "seeds");

test.each(STACKS.map((entry) => [entry.id, entry] as const))("%s names its seed and has its folder, README and addresses", (id, entry) => {
  expect(entry.seed).toMatch(/^\d{3}_[0-9a-f]{16}$/);
  if (existsSync(seeds)) expect(existsSync(path.join(seeds, `${entry.seed}.txt`))).toBe(true);
  for (const file of ["index.ts", "README.md", "addresses.txt"]) {
    expect(existsSync(path.join(root, "stacks", id, file))).toBe(true);
  }
});

describe("every tool reads the registry, none keeps a list of its own", () => {
  test("npm run local serves the entries marked local, the replay replays those marked replay, the proofs plan those with optionsOn", () => {
    // Loaded here: the tools' modules take their lists from main.ts at load time.
    const { LOCAL_STACKS } = require("../tools/local") as typeof import("../tools/local");
    const { REPLAY_STACKS } = require("../tools/replay") as typeof import("../tools/replay");
    const { OPTIONS_ON } = require("../scripts/terraform-check") as typeof import("../scripts/terraform-check");
    expect(LOCAL_STACKS).toEqual(STACKS.filter((entry) => entry.local).map((entry) => entry.id));
    expect(REPLAY_STACKS).toEqual(STACKS.filter((entry) => entry.replay).map((entry) => entry.id));
    expect(OPTIONS_ON).toEqual(STACKS.filter((entry) => "optionsOn" in entry).map((entry) => entry.id));
    expect(REPLAY_STACKS.length).toBeGreaterThan(0);
    expect(OPTIONS_ON.length).toBeGreaterThan(0);
  });

  test("an entry builds its stack with its own options: the optionsOn variant synthesizes something else than the defaults", () => {
    const entry = STACKS.find((e) => e.id === "media-alb")!;
    const synth = (variant: "props" | "optionsOn"): Record<string, unknown> => {
      const app = Testing.app();
      return (JSON.parse(Testing.synth(entry.build(app, defaultDeployment, variant))) as { resource: Record<string, unknown> }).resource;
    };
    // media-alb's optionsOn is `webAcl: {}`: a web ACL and its association appear, nothing else goes.
    const [defaults, optionsOn] = [synth("props"), synth("optionsOn")];
    expect(Object.keys(defaults)).not.toContain("aws_wafv2_web_acl");
    expect(Object.keys(optionsOn)).toEqual(expect.arrayContaining([...Object.keys(defaults), "aws_wafv2_web_acl"]));
  }, 60_000);

  test("buildApp builds only the stacks asked for, in the registry's order, each once", () => {
    const app = buildApp(defaultDeployment, mkdtempSync(path.join(tmpdir(), "registry-")), { stacks: ["media-alb", "kinesis-ingest", "media-alb"] });
    const built = app.node.children.filter((child): child is TerraformStack => child instanceof TerraformStack);
    expect(built.map((stack) => stack.node.id)).toEqual(["kinesis-ingest", "media-alb"]);
  });
});
