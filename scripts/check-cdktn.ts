/**
 * `npm run check:cdktn`: proves the move onto CDK Terrain (`cdktn`, the maintained
 * fork of archived CDKTF) in a temporary copy of the project, and leaves this one
 * untouched. Stage 1 of docs/cdktn.md "Moving to CDK Terrain", exactly as a user does it:
 *
 *   1. reference: synthesize every stack with this project's cdktf 0.21.0, as
 *      `npm run synth` and `OFFLINE=1 npm run synth` would;
 *   2. copy the project (no node_modules, cdktf.out, .git) and apply the fork's
 *      upgrade guide (v0.22): `cdktf` -> `cdktn`, `cdktf-cli` -> `cdktn-cli`, imports
 *      and CLI commands renamed, plus an npm `overrides` entry so the prebuilt
 *      `@cdktf/provider-*` packages (peer dependency `cdktf`) load `cdktn` too;
 *      `npm install` on top of the copied lock file (a fresh resolve moves AWS SDK
 *      patch versions and so every bundle hash);
 *   3. in the copy: typecheck, synthesize both ways and compare with the reference
 *      stack by stack, block by block, asset by asset (metadata aside), the offline
 *      Terraform proof (`npm run tf:check`), and the test suite;
 *   4. where a Node.js >= 22.19 can be had (this one, or the `node` package from the
 *      npm registry), the `cdktn` CLI: `cdktn synth` and `cdktn synth --hcl` against
 *      the reference's `cdktf` CLI output.
 *
 * Prints one summary line; exits 1 on any difference or failure, 2 on a usage
 * error (any argument but `--keep`), 0 with the usage on `--help` (nothing run).
 * Takes minutes; not part of `npm test`. `-- --keep` keeps the temporary folder
 * for inspection; without it the folder goes at the end and on SIGINT / SIGTERM.
 */
import { ChildProcess, execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { atExit, readOptions, runMain, type Command } from "../tools/cli";
import { compareSynthDirs, formatComparison, identical, StackComparison } from "./synth-diff";

const ROOT = path.resolve(__dirname, "..");
/** The fork's release this check proves (core and CLI). */
export const CDKTN_VERSION = "0.24.0";
/** `cdktn-cli` 0.24 needs Node.js >= 22.19 (`cdktn synth` crashes on Node 20). */
const CLI_MIN_NODE: readonly [number, number] = [22, 19];
/** The Node.js the check installs from the npm registry (`node` package) when this one is too old. */
const CLI_NODE_PACKAGE = "node@22.23.3";
/** Synth profiles compared, by folder name; each is the environment `loadDeployment()` reads. */
const PROFILES: Record<string, Record<string, string>> = { default: {}, offline: { OFFLINE: "1" } };
/** Never copied: installs, outputs, state, VCS. */
const NOT_COPIED = new Set(["node_modules", ".git", "cdktf.out", "cdktf.out.hcl", ".terraform", "coverage", "bench-results", "replay-results", ".build", ".gen"]);

// ---------------------------------------------------------------------------------------------
// The upgrade guide's edits, as pure functions (tested in __tests__/check-cdktn.test.ts).

export interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  overrides?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The guide's package.json edits: `cdktf` -> `cdktn`, `cdktf-cli` -> `cdktn-cli`, `cdktf <command>`
 * -> `cdktn <command>` in scripts; and the guide's "dual dependencies" fix for prebuilt
 * `@cdktf/provider-*` packages, in npm's words: `overrides: { cdktf: "npm:cdktn@<version>" }`.
 * Without it the providers load cdktf 0.21 beside cdktn and synth crashes.
 */
export function toCdktnPackageJson(pkg: PackageJson, version = CDKTN_VERSION): PackageJson {
  // cdktf may be a dependency, or (the installable package) a devDependency and a peer.
  const sections = ["dependencies", "devDependencies", "peerDependencies"] as const;
  if (!sections.some((section) => pkg[section]?.cdktf !== undefined)) throw new Error("package.json has no `cdktf` dependency: nothing to move");
  const scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).map(([name, command]) => [name, toCdktnCommands(command)]));
  const moved: PackageJson = { ...pkg, scripts };
  for (const section of sections) {
    if (!pkg[section]) continue;
    const { cdktf, "cdktf-cli": cli, ...rest } = pkg[section];
    const pin = section === "peerDependencies" ? `^${version}` : version;
    moved[section] = { ...rest, ...(cdktf === undefined ? {} : { cdktn: pin }), ...(cli === undefined ? {} : { "cdktn-cli": pin }) };
  }
  return { ...moved, overrides: { ...pkg.overrides, cdktf: `npm:cdktn@${version}` } };
}

/** `import ... from "cdktf"` / `"cdktf/lib/..."` (and `import "..."`, `require(...)`, `import(...)`) -> `cdktn`. */
export function toCdktnImports(source: string): string {
  return source.replace(/(\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])cdktf(\/[^"']*)?\2/g, "$1$2cdktn$3$2");
}

/** `cdktf synth` (any CLI command) -> `cdktn synth`; other mentions of cdktf stay. */
export function toCdktnCommands(text: string): string {
  return text.replace(/\bcdktf(?=\s+(?:synth|deploy|destroy|diff|get|init|list|output|watch|convert|debug|provider|login|--)\b)/g, "cdktn");
}

/** Whether `version` (`22.23.3` or `v22.23.3`) is at least `min`. */
export function nodeAtLeast(version: string, min: readonly [number, number] = CLI_MIN_NODE): boolean {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

// ---------------------------------------------------------------------------------------------
// Running it.

const children = new Set<ChildProcess>();

interface Ran {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs a command, capturing its output; never throws. */
function sh(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      children.delete(child);
      resolve({ ok: !error, output: `${stdout}${stderr}${error && !stderr ? error.message : ""}` });
    });
    children.add(child);
  });
}

const tail = (text: string, lines = 40): string => text.trimEnd().split("\n").slice(-lines).join("\n");
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  console.log(`  ${label} (${seconds(Date.now() - started)})`);
  return result;
}

/** The environment of a synth profile: this one's, minus the settings a profile fixes. */
function profileEnv(base: NodeJS.ProcessEnv, profile: Record<string, string>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { OFFLINE: _offline, LAMBDA_PACKAGING: _packaging, ...env } = base;
  return { ...env, ...profile, ...extra };
}

/** Copies the project without installs, outputs, state or VCS. */
function copyProject(to: string): void {
  cpSync(ROOT, to, {
    recursive: true,
    filter: (src) => !NOT_COPIED.has(path.basename(src)) && !/\.tfstate(\..*)?$/.test(src),
  });
}

/** Every `.ts` file under `dir`, outside node_modules. */
function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules") return [];
    if (statSync(full).isDirectory()) return typeScriptFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

/** Stage 1 of docs/cdktn.md "Moving to CDK Terrain", applied to the copy. */
function applyUpgradeGuide(project: string): void {
  const pkgFile = path.join(project, "package.json");
  writeFileSync(pkgFile, `${JSON.stringify(toCdktnPackageJson(JSON.parse(readFileSync(pkgFile, "utf8")) as PackageJson), null, 2)}\n`);
  for (const file of typeScriptFiles(project)) {
    const source = readFileSync(file, "utf8");
    const moved = toCdktnCommands(toCdktnImports(source));
    if (moved !== source) writeFileSync(file, moved);
  }
}

/** Prints the comparison stack by stack; `same/total` stacks identical. */
function compare(label: string, comparisons: StackComparison[], problems: string[]): string {
  const same = comparisons.filter(identical).length;
  console.log(`    ${label} against the reference:`);
  for (const c of comparisons) for (const line of formatComparison(c)) console.log(`      ${line}`);
  if (same !== comparisons.length || comparisons.length === 0) problems.push(`${label}: ${same}/${comparisons.length} stacks identical`);
  return `${same}/${comparisons.length}`;
}

/** A Node.js >= 22.19 for the CLI: this one, or the `node` package installed into `dir`. */
async function cliNode(dir: string, env: NodeJS.ProcessEnv): Promise<{ binDir?: string; version?: string; note: string }> {
  if (nodeAtLeast(process.version)) return { binDir: path.dirname(process.execPath), version: process.version, note: "this Node.js" };
  const install = await sh("npm", ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", CLI_NODE_PACKAGE], ROOT, env);
  const binDir = path.join(dir, "node_modules", ".bin");
  if (!install.ok || !existsSync(path.join(binDir, "node"))) return { note: `npm install ${CLI_NODE_PACKAGE} failed: ${tail(install.output, 3)}` };
  const probe = await sh(path.join(binDir, "node"), ["--version"], dir, env);
  const version = probe.output.trim();
  if (!probe.ok || !nodeAtLeast(version)) return { note: `${CLI_NODE_PACKAGE} gave no usable Node.js (${version || tail(probe.output, 3)})` };
  return { binDir, version, note: `${CLI_NODE_PACKAGE} from the npm registry` };
}

const USAGE = `usage: npm run check:cdktn [-- --keep]
  proves the move onto CDK Terrain (cdktn ${CDKTN_VERSION}) in a temporary copy of the project; takes minutes
  --keep       keep the temporary folder for inspection (printed at the start)
  --help, -h   this text`;

/** `--keep` or nothing; anything else is a usage error (a UsageError). */
export function parseArgs(argv: readonly string[]): { keep: boolean } {
  let keep = false;
  for (const [name] of readOptions(argv, ["keep"], [])) if (name === "keep") keep = true;
  return { keep };
}

async function main(argv: readonly string[]): Promise<number> {
  const { keep } = parseArgs(argv);
  const started = Date.now();
  const work = mkdtempSync(path.join(tmpdir(), "check-cdktn-"));
  // At exit, also on SIGINT / SIGTERM (runMain's exitOnSignals): children stopped, the folder removed unless kept.
  atExit(() => {
    for (const child of children) child.kill("SIGTERM");
    if (!keep) rmSync(work, { recursive: true, force: true });
  });

  // Children's temporary files (tf:check's synth, jest's cache) stay inside `work`, so cleaning it cleans them.
  mkdirSync(path.join(work, "tmp"));
  const base: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TMPDIR: path.join(work, "tmp") };
  const project = path.join(work, "project");
  const problems: string[] = [];
  const fail = (what: string, ran: Ran): void => {
    problems.push(what);
    console.log(tail(ran.output));
  };
  const cdktfVersion = (JSON.parse(readFileSync(path.join(ROOT, "node_modules", "cdktf", "package.json"), "utf8")) as { version: string }).version;
  console.log(`check:cdktn: cdktf ${cdktfVersion} (this project) -> cdktn ${CDKTN_VERSION}, in ${work}${keep ? " (kept)" : ""}`);

  // 1 and 2 overlap: the reference synth runs here while the copy installs.
  const synth = (cwd: string, outdir: string, profile: Record<string, string>): Promise<Ran> => {
    mkdirSync(outdir, { recursive: true }); // App creates only the last level
    return sh(path.join(cwd, "node_modules", ".bin", "tsx"), ["main.ts"], cwd, profileEnv(base, profile, { CDKTF_OUTDIR: outdir }));
  };
  const reference = (async () => {
    for (const [name, profile] of Object.entries(PROFILES)) {
      const ran = await step(`reference synth, ${name}, cdktf ${cdktfVersion}`, () => synth(ROOT, path.join(work, "ref", name), profile));
      if (!ran.ok) fail(`reference synth (${name}) failed`, ran);
    }
  })();
  copyProject(project);
  applyUpgradeGuide(project);
  const install = await step("copy: upgrade guide applied, npm install on top of the lock file", () =>
    sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], project, base),
  );
  await reference;
  if (!install.ok) fail("npm install of cdktn failed", install);
  const cdktfInCopy = path.join(project, "node_modules", "cdktf", "package.json");
  const aliased = existsSync(cdktfInCopy) && (JSON.parse(readFileSync(cdktfInCopy, "utf8")) as { name: string }).name === "cdktn";
  if (install.ok && !aliased) problems.push("the prebuilt providers' `cdktf` is not cdktn: the overrides entry did not apply");
  if (problems.length) return finish(started, problems, ["stopped before the copy was proven"]);

  const results: string[] = [];
  const typecheck = await step("copy: typecheck", () => sh(path.join(project, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], project, base));
  if (!typecheck.ok) fail("typecheck failed", typecheck);

  const core: string[] = [];
  for (const [name, profile] of Object.entries(PROFILES)) {
    const outdir = path.join(work, "cdktn", name);
    const ran = await step(`copy: synth, ${name}, cdktn ${CDKTN_VERSION}`, () => synth(project, outdir, profile));
    if (!ran.ok) {
      fail(`cdktn synth (${name}) failed`, ran);
      continue;
    }
    core.push(`${compare(`core synth (${name})`, compareSynthDirs(path.join(work, "ref", name), outdir), problems)} ${name}`);
  }
  results.push(`core synth identical: ${core.join(", ")}`);
  results.push(typecheck.ok ? "typecheck clean" : "typecheck FAILED");

  const tf = await step("copy: npm run tf:check", () => sh("npm", ["run", "tf:check"], project, base));
  const planned = tf.output.split("\n").filter((line) => /^(ok|FAIL) +\S+( \([^)]*\))?:/.test(line));
  for (const line of planned) console.log(`    ${line}`);
  const plannedOk = planned.filter((line) => line.startsWith("ok")).length;
  if (!tf.ok || plannedOk === 0) fail("terraform proof failed", tf);
  results.push(`terraform plan ${plannedOk}/${planned.length} stacks`);

  // terraform.test.ts runs the same proof (synthOffline + planTogether) as tf:check above: not twice.
  const jestJson = path.join(work, "jest.json");
  const jest = await step("copy: test suite (jest; terraform.test.ts is the tf:check above)", () =>
    sh(path.join(project, "node_modules", ".bin", "jest"), ["--json", `--outputFile=${jestJson}`, "--testPathIgnorePatterns", "terraform\\.test\\.ts"], project, base),
  );
  const counts = existsSync(jestJson)
    ? (JSON.parse(readFileSync(jestJson, "utf8")) as { numPassedTests: number; numFailedTests: number; numRuntimeErrorTestSuites?: number })
    : undefined;
  const failedTests = counts ? counts.numFailedTests + (counts.numRuntimeErrorTestSuites ?? 0) : 0;
  if (!jest.ok || !counts || failedTests > 0 || counts.numPassedTests === 0) fail("test suite failed", jest);
  results.push(counts ? `tests ${counts.numPassedTests} passed, ${failedTests} failed` : "tests did not run");

  // 4. The CLI, where a Node.js it accepts can be had; without one it is reported, not failed.
  const node = await step(`cdktn-cli needs Node.js >= ${CLI_MIN_NODE.join(".")}`, () => cliNode(path.join(work, "node"), base));
  if (!node.binDir) {
    console.log(`    skipped: ${node.note}`);
    results.push(`cdktn-cli not run (${node.note.split("\n")[0]})`);
  } else {
    console.log(`    Node.js ${node.version} (${node.note})`);
    const cliEnv = profileEnv(base, PROFILES.default, { PATH: `${node.binDir}${path.delimiter}${base.PATH ?? ""}` });
    mkdirSync(path.join(work, "cli")); // the CLI's app creates only the last level of --output
    const cliJson = path.join(work, "cli", "json");
    const synthJson = await step(`copy: cdktn synth (CLI ${CDKTN_VERSION})`, () =>
      sh(path.join(project, "node_modules", ".bin", "cdktn"), ["synth", "--output", cliJson], project, cliEnv),
    );
    // The CLIs' own HCL renderers, compared with each other (the project's export, tools/hcl/export-hcl.ts,
    // writes HCL itself and runs in the copy's test suite above).
    const hcl = (cli: string, out: string, env: NodeJS.ProcessEnv): Promise<Ran> => sh(cli, ["synth", "--hcl", "--output", out], path.dirname(path.dirname(path.dirname(cli))), env);
    const refHcl = path.join(work, "ref", "hcl");
    const cliHcl = path.join(work, "cli", "hcl");
    const hclRef = await step(`reference: cdktf synth --hcl (cdktf-cli ${cdktfVersion})`, () =>
      hcl(path.join(ROOT, "node_modules", ".bin", "cdktf"), refHcl, profileEnv(base, PROFILES.default, { PATH: cliEnv.PATH })),
    );
    const hclCli = await step(`copy: cdktn synth --hcl (cdktn-cli ${CDKTN_VERSION})`, () => hcl(path.join(project, "node_modules", ".bin", "cdktn"), cliHcl, cliEnv));
    let jsonSame = "0";
    let hclSame = "0";
    if (!synthJson.ok) fail("cdktn synth (CLI) failed", synthJson);
    else jsonSame = compare("cdktn synth (CLI)", compareSynthDirs(path.join(work, "ref", "default"), cliJson), problems);
    if (!hclRef.ok) fail("cdktf synth --hcl (reference) failed", hclRef);
    if (!hclCli.ok) fail("cdktn synth --hcl failed", hclCli);
    if (hclRef.ok && hclCli.ok) hclSame = compare("synth --hcl", compareSynthDirs(refHcl, cliHcl, "cdk.tf"), problems);
    results.push(`cdktn-cli on Node.js ${node.version}: synth ${jsonSame}, synth --hcl ${hclSame} identical`);
  }
  return finish(started, problems, results);
}

/** Prints the problems and the summary line; the exit status. */
function finish(started: number, problems: readonly string[], results: readonly string[]): number {
  const elapsed = Math.round((Date.now() - started) / 1000);
  const took = `${Math.floor(elapsed / 60)}m${String(elapsed % 60).padStart(2, "0")}s`;
  for (const problem of problems) console.log(`  problem: ${problem}`);
  console.log(`check:cdktn ${problems.length ? "FAIL" : "PASS"} in ${took}: cdktn ${CDKTN_VERSION}: ${results.join("; ")}`);
  return problems.length ? 1 : 0;
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "check:cdktn", usage: USAGE, main };

if (require.main === module) runMain(command.name, command.usage, command.main, { exitOnSignals: true });
