/**
 * `npm ci` is quiet about install scripts: every installed package that has one is
 * declared in package.json's `allowScripts` (npm 11's policy), no declaration names a
 * package that has none, and the README says why each one is needed. Read from the
 * lock file (what `npm ci` installs) and asked of npm itself (`npm install-scripts ls`).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { skipLoudly } from "./support/skips";

const root = path.resolve(__dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

/** `name@version` of every locked package with an install script (a package's name is its path after the last `node_modules/`). */
const withScripts = Object.entries(lock.packages)
  .filter(([, entry]) => entry.hasInstallScript)
  .map(([where, entry]) => ({ name: where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length), version: entry.version }));

/** The lock file has no `resolved` URLs, so npm can match only name-only entries: `name: true`. */
const allowed = pkg.allowScripts ?? {};

test("every locked package with an install script is allowed by name, and only those", () => {
  expect(withScripts.length).toBeGreaterThan(0);
  expect(Object.keys(allowed).sort()).toEqual([...new Set(withScripts.map((p) => p.name))].sort());
  expect(Object.values(allowed).every((value) => value === true)).toBe(true);
});

test("the README says why each allowed package needs its script", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("Install scripts"));
  for (const name of Object.keys(allowed)) expect(section).toContain(`\`${name}\``);
});

const npmPolicy = spawnSync("npm", ["install-scripts", "ls"], { cwd: root, encoding: "utf8" });
const npmKnowsPolicy = npmPolicy.status === 0 || !/Unknown command/i.test(`${npmPolicy.stdout}${npmPolicy.stderr}`);
if (!npmKnowsPolicy) skipLoudly("npm's own install-script check (install-scripts.test.ts): this npm has no `install-scripts` command (npm 11 has)");

(npmKnowsPolicy ? test : test.skip)("npm itself finds no install script left to review", () => {
  expect(`${npmPolicy.stdout}${npmPolicy.stderr}`.trim()).toBe("No packages with unreviewed install scripts.");
  expect(npmPolicy.status).toBe(0);
});
