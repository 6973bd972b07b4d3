/**
 * The package as a user gets it (issue 25, item 4): `npm run build` into a
 * temporary folder, `npm pack`, and a consumer app elsewhere on the disk that
 * installs the tarball offline (the peers linked from this project's
 * node_modules, as an app that has them installed), type-checks in strict mode
 * against the package's `.d.ts`, synthesizes, runs its own jest test, and is
 * planned by Terraform through the project's proof (scripts/terraform/prove.ts).
 * The consumer's folder has no esbuild and no handler sources in reach: its
 * functions can only come from the prebuilt bundles. Built once, one
 * Terraform run. Without a `terraform` CLI the plan is skipped, loudly.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { proveStacks, ProofResult, terraformAvailable } from "../scripts/terraform/prove";
import { skipLoudly } from "./support/skips";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "package-consumer");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  files: string[];
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** What the consumer links from this project besides the peers: its compiler, types and test runner. */
const TOOLS = ["typescript", "@types/node", "@types/jest", "jest"];

const available = terraformAvailable();
if (!available) skipLoudly("terraform plan of the package consumer (package-consumer.test.ts): terraform CLI (>= 1.10) not found");

interface Json {
  provider?: Record<string, unknown[]>;
  terraform?: { backend?: Record<string, unknown> };
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/** A command's output; on failure, an error holding all of it. */
async function sh(command: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** npm as the project's scripts run it (the `node` first on PATH under `npm test` is Node 22). */
const npm = (args: readonly string[], cwd: string) => sh("npm", args, cwd);

/** Links `name` from this project's node_modules into `modules` (a scoped name gets its scope folder). */
function link(modules: string, name: string): void {
  mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules", name), path.join(modules, name), "dir");
}

/** Every file under `dir`, relative, `/`-separated. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name)).split(path.sep).join("/")],
  );
}

describe("the packed library in a consumer's app", () => {
  const work = mkdtempSync(path.join(tmpdir(), "package-consumer-"));
  const stage = path.join(work, "package");
  const consumer = path.join(work, "consumer");
  let tarball = "";
  let packed: string[] = [];
  let installed = "";
  let synth: Json = {};
  let synthDir = "";
  let proof: ProofResult | undefined;

  beforeAll(async () => {
    // The package: built into a folder of its own (dist/ of the checkout is left alone), packed from a copy of its manifest.
    await sh(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "scripts", "build-package.ts"), "--out", path.join(stage, "dist")], ROOT);
    for (const file of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"]) cpSync(path.join(ROOT, file), path.join(stage, file));
    const [report] = JSON.parse(await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], stage)) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, report.filename);
    packed = report.files.map((f) => f.path);

    // The consumer: the tarball installed offline; the peers and tools linked, as already installed.
    mkdirSync(consumer);
    cpSync(FIXTURE, consumer, { recursive: true });
    writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true, dependencies: { [pkg.name]: `file:${tarball}` } }, null, 2),
    );
    await npm(["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps"], consumer);
    installed = path.join(consumer, "node_modules", pkg.name);
    for (const name of [...Object.keys(pkg.peerDependencies), ...TOOLS]) link(path.join(consumer, "node_modules"), name);

    await sh(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", consumer], consumer);
    await sh(process.execPath, [path.join(consumer, "build", "main.js")], consumer);
    synthDir = path.join(consumer, "cdktf.out", "stacks", "consumer");
    synth = JSON.parse(readFileSync(path.join(synthDir, "cdk.tf.json"), "utf8")) as Json;
    if (available) [proof] = await proveStacks([synthDir]);
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("the tarball holds the built code, its .d.ts and the prebuilt bundles; no tests, scripts or TypeScript sources", () => {
    expect(packed).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts", "dist/bundles/manifest.json"]));
    const manifest = JSON.parse(readFileSync(path.join(stage, "dist", "bundles", "manifest.json"), "utf8")) as Record<string, { folder: string }>;
    expect(Object.keys(manifest).length).toBeGreaterThan(0);
    for (const { folder } of Object.values(manifest)) {
      expect(packed).toEqual(expect.arrayContaining([`dist/bundles/${folder}/code.zip`, `dist/bundles/${folder}/code/index.js`]));
    }
    const out = packed.filter((file) => !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(file) && !file.startsWith("dist/"));
    expect(out).toEqual([]);
    expect(packed.filter((file) => /\.ts$/.test(file) && !file.endsWith(".d.ts"))).toEqual([]);
    expect(packed.filter((file) => /(^|\/)(__tests__|scripts|tools)\//.test(file))).toEqual([]);
    // Handler code only bundled, or compiled where a pattern imports a handler's pure rule (signature schemes, time budgets).
    expect(packed.filter((file) => file.startsWith("dist/handlers/") && !/\.(js|d\.ts)$/.test(file))).toEqual([]);
  });

  test("the project's own `files` selects nothing else either (what `npm pack` of the checkout would take)", async () => {
    const [report] = JSON.parse(await npm(["pack", "--dry-run", "--json", "--ignore-scripts"], ROOT)) as { files: { path: string }[] }[];
    const allowed = (file: string) => ["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(file) || file.startsWith("dist/");
    expect(report.files.map((f) => f.path).filter((file) => !allowed(file))).toEqual([]);
    expect(pkg.files).toEqual(["dist", "README.md", "LICENSE", "CHANGELOG.md"]);
  });

  test("peers are the exact devDependency versions' ranges; nothing the library needs at run time is left out", () => {
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      expect(range).toBe(`^${pkg.devDependencies[name]}`);
    }
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  test("the installed package has no esbuild and no handler sources within reach: the consumer synthesized from the bundles", () => {
    expect(() => require.resolve("esbuild", { paths: [installed] })).toThrow(/Cannot (find|resolve) module/);
    expect(filesUnder(installed).filter((file) => /\.ts$/.test(file) && !file.endsWith(".d.ts"))).toEqual([]);
    const functions = Object.values(synth.resource?.aws_lambda_function ?? {});
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(existsSync(path.join(synthDir, String(fn.filename)))).toBe(true);
  });

  test("loading the package loads its peers and Node's own modules, nothing else (no esbuild, no Powertools, no AWS SDK)", async () => {
    const script = `require(${JSON.stringify(pkg.name)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
    const loaded = JSON.parse(await sh(process.execPath, ["-e", script], consumer)) as string[];
    const packageOf = (file: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const packages = new Set(loaded.map(packageOf).filter((name): name is string => name !== undefined));
    expect([...packages]).toEqual(expect.arrayContaining([pkg.name, "cdktf", "constructs", "@cdktf/provider-aws"]));
    expect([...packages].filter((name) => name !== pkg.name && !(name in pkg.peerDependencies))).toEqual([]);
  });

  test("the prebuilt bundles are the bytes a synth from the sources makes (one source_code_hash either way)", async () => {
    const manifest = JSON.parse(readFileSync(path.join(installed, "dist", "bundles", "manifest.json"), "utf8")) as Record<string, { zipBase64Sha256: string }>;
    const { bundleHandler } = await import("../blocks/lambda/bundle");
    for (const [entry, { zipBase64Sha256 }] of Object.entries(manifest)) expect([entry, zipBase64Sha256]).toEqual([entry, bundleHandler(entry).zipBase64Sha256]);
    const hashes = Object.values(synth.resource?.aws_lambda_function ?? {}).map((fn) => fn.source_code_hash);
    expect(hashes.every((hash) => Object.values(manifest).some((m) => m.zipBase64Sha256 === hash))).toBe(true);
  });

  test("the consumer's provider and backend are the only ones: none from the package", () => {
    expect(Object.keys(synth.provider ?? {})).toEqual(["aws"]);
    expect(synth.provider?.aws).toHaveLength(1);
    expect(synth.provider?.aws[0]).toMatchObject({ region: "eu-west-1" });
    expect(synth.terraform?.backend).toEqual({ local: { path: "consumer.tfstate" } });
  });

  test("unique physical names, and no account-wide singleton (aws_api_gateway_account)", () => {
    expect(synth.resource?.aws_api_gateway_account).toBeUndefined();
    const NAME_FIELDS = ["name", "function_name", "alarm_name", "bucket", "topic_name"];
    for (const [type, byName] of Object.entries(synth.resource ?? {})) {
      const names = Object.values(byName).flatMap((body) => NAME_FIELDS.map((field) => body[field]).filter((v): v is string => typeof v === "string"));
      expect([type, names.filter((name, i) => names.indexOf(name) !== i)]).toEqual([type, []]);
    }
  });

  test("the consumer's own jest test passes (cdktf's Testing matchers on the package's constructs)", async () => {
    const jest = path.join(consumer, "node_modules", "jest", "bin", "jest.js");
    const output = await sh(process.execPath, [jest, "--config", path.join(consumer, "jest.config.js"), "--rootDir", consumer, "--ci", "--cacheDirectory", path.join(work, "jest-cache")], consumer);
    expect(output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(output).not.toMatch(/failed/);
  });

  (available ? test : test.skip)("Terraform validates and plans the consumer's stack offline, every synthesized resource", () => {
    if (!proof?.ok) throw new Error(`terraform failed for the consumer:\n${proof?.log}`);
    const resources = Object.entries(synth.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
    expect(resources.filter((address) => !proof?.planned.includes(address))).toEqual([]);
  });
});
