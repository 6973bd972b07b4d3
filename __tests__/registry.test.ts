/**
 * The stack registry in main.ts is the one list of stacks: the app builds
 * exactly its entries, and each entry has its seed, its folder and its
 * recorded addresses, so a stack cannot silently skip the suites that derive from it.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack } from "cdktf";
import { defaultEnvironment } from "../config";
import { buildApp, STACK_IDS, STACKS } from "../main";

const root = path.resolve(__dirname, "..");

test("the app's stacks are exactly the registry's, in order", () => {
  const app = buildApp(defaultEnvironment, mkdtempSync(path.join(tmpdir(), "registry-")));
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
