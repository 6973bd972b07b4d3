/**
 * The bundle cache (blocks/lambda/bundle.ts): content-addressed by every
 * input file of a bundle (esbuild's metafile inputs) and the recipe (esbuild
 * version and options, target, zip writer). A hit must be indistinguishable
 * from a cold build; any changed input must miss. Installed package files are
 * compared by size and modification time first, by content when either differs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { defaultDeployment } from "../config";
import { buildBundle, Bundle, bundleWithSiblings } from "../blocks/lambda/bundle";
import { NodejsFunction } from "../blocks/lambda/nodejs-function";
import { ServerlessStack } from "../blocks/serverless-stack";

/** A real handler with its AWS SDK imports (hundreds of input files). */
const ENTRY = "handlers/webhook-proxy/api2sqs/index.ts";

/**
 * Writes a source file as an editor saved it a while ago: a file modified within a moment of
 * a build counts as saved during it, and that build is not recorded (the race check).
 */
function write(file: string, text: string): void {
  writeFileSync(file, text);
  const before = new Date(Date.now() - 1000);
  utimesSync(file, before, before);
}

const scratch: string[] = [];
function freshDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const bytes = (bundle: Bundle) => ({
  code: readFileSync(path.join(bundle.dir, "index.js")),
  zip: readFileSync(bundle.zipFile),
});

describe("bundle cache", () => {
  let cacheDir: string;
  let cold: Bundle;
  beforeAll(() => {
    cacheDir = freshDir("bundle-cache-");
    cold = buildBundle(ENTRY, { cacheDir });
  });

  test("a hit gives byte-identical code and zip, and the same source_code_hash, as a cold build", () => {
    const hit = buildBundle(ENTRY, { cacheDir });
    expect(cold.cached).toBe(false);
    expect(hit.cached).toBe(true);
    expect(bytes(hit).code.equals(bytes(cold).code)).toBe(true);
    expect(bytes(hit).zip.equals(bytes(cold).zip)).toBe(true);
    expect(hit.zipBase64Sha256).toBe(cold.zipBase64Sha256);

    // A cold build in another empty cache: the same bytes again (the hit is not just the first build echoed).
    const otherCold = buildBundle(ENTRY, { cacheDir: freshDir("bundle-cache-") });
    expect(otherCold.cached).toBe(false);
    expect(bytes(otherCold).zip.equals(bytes(hit).zip)).toBe(true);
  });

  test("a synthesized function (asset packaging, project cache) carries the cold build's source_code_hash", () => {
    const stack = new ServerlessStack(Testing.app(), "cache", { deployment: { ...defaultDeployment, lambdaPackaging: "asset" } });
    new NodejsFunction(stack, "fn", { entry: ENTRY, functionName: "dev-cache", roleName: "dev-cache", packaging: "asset", logRetentionDays: 14 });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(LambdaFunction, { source_code_hash: cold.zipBase64Sha256 });
  });

  test("a changed handler file misses, and so does a changed file it imports", () => {
    const cacheDir = freshDir("bundle-cache-"); // its own: this entry is not in the shared one
    const src = freshDir("bundle-src-");
    const entry = path.join(src, "index.ts");
    const imported = path.join(src, "greeting.ts");
    write(imported, 'export const greeting = "hello";\n');
    write(entry, 'import { greeting } from "./greeting";\nexport const handler = async () => ({ statusCode: 200, body: greeting });\n');

    const first = buildBundle(entry, { cacheDir });
    expect(first.cached).toBe(false);
    expect(buildBundle(entry, { cacheDir }).cached).toBe(true);

    write(entry, 'import { greeting } from "./greeting";\nexport const handler = async () => ({ statusCode: 201, body: greeting });\n');
    const changedEntry = buildBundle(entry, { cacheDir });
    expect(changedEntry.cached).toBe(false);
    expect(changedEntry.zipBase64Sha256).not.toBe(first.zipBase64Sha256);

    write(imported, 'export const greeting = "bonjour";\n');
    const changedImport = buildBundle(entry, { cacheDir });
    expect(changedImport.cached).toBe(false);
    expect(readFileSync(path.join(changedImport.dir, "index.js"), "utf8")).toContain("bonjour");
    expect(buildBundle(entry, { cacheDir }).cached).toBe(true);
  });

  test("an input modified after the build started is not recorded: the next synth builds again, never a stale hit", () => {
    const cacheDir = freshDir("bundle-cache-");
    const src = freshDir("bundle-src-");
    const entry = path.join(src, "index.ts");
    writeFileSync(entry, "export const handler = async () => 1;\n");
    // A modification time after the run's start stands for an editor saving while esbuild reads.
    const during = new Date(Date.now() + 60_000);
    utimesSync(entry, during, during);
    expect(buildBundle(entry, { cacheDir }).cached).toBe(false);
    expect(buildBundle(entry, { cacheDir }).cached).toBe(false);

    const before = new Date(Date.now() - 60_000);
    utimesSync(entry, before, before);
    expect(buildBundle(entry, { cacheDir }).cached).toBe(false);
    expect(buildBundle(entry, { cacheDir }).cached).toBe(true);
  });

  test("a miss builds the siblings the cache also misses in the same run; a sibling that does not build fails only itself", () => {
    const cacheDir = freshDir("bundle-cache-");
    const src = freshDir("bundle-src-");
    const entry = (name: string, code: string): string => {
      mkdirSync(path.join(src, name));
      write(path.join(src, name, "index.ts"), code);
      return path.join(src, name, "index.ts");
    };
    const first = entry("first", "export const handler = async () => 1;\n");
    const second = entry("second", "export const handler = async () => 2;\n");
    expect(bundleWithSiblings(first, [first, second], cacheDir).cached).toBe(false);
    expect(buildBundle(second, { cacheDir }).cached).toBe(true); // built in the first one's run

    const third = entry("third", "export const handler = async () => 3;\n");
    const broken = entry("broken", 'import { missing } from "./nowhere";\nexport const handler = async () => missing;\n');
    // esbuild prints each failed run's errors on stderr. Loaded here without its worker thread, it
    // writes them through this thread's process.stderr: captured, one per failed run, not printed.
    process.env.ESBUILD_WORKER_THREADS = "0";
    // A fresh registry: bundle.ts loads esbuild on first use, so esbuild's load happens in the calls below, with the setting.
    jest.resetModules();
    const bundler = require("../blocks/lambda/bundle") as typeof import("../blocks/lambda/bundle");
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const built = bundler.bundleWithSiblings(third, [third, broken], cacheDir);
      expect(readFileSync(path.join(built.dir, "index.js"), "utf8")).toMatch(/=>\s*3\b/);
      expect(() => bundler.bundleWithSiblings(broken, [third, broken], cacheDir)).toThrow(/nowhere/);
      const printed = stderr.mock.calls.map(([chunk]) => String(chunk)).join("");
      expect(printed.match(/\[ERROR\] Could not resolve "\.\/nowhere"/g)).toHaveLength(2);
    } finally {
      delete process.env.ESBUILD_WORKER_THREADS;
      stderr.mockRestore();
    }
  });

  test("an installed package file is checked by size and time, then by content: touched but the same hits, changed misses", () => {
    const cacheDir = freshDir("bundle-cache-");
    const src = freshDir("bundle-src-");
    const pkg = path.join(src, "node_modules", "greeter");
    mkdirSync(pkg, { recursive: true });
    const installed = path.join(pkg, "index.js");
    write(installed, 'exports.greeting = "hello";\n');
    const entry = path.join(src, "index.ts");
    write(entry, 'import { greeting } from "greeter";\nexport const handler = async () => greeting;\n');

    expect(buildBundle(entry, { cacheDir }).cached).toBe(false);
    const later = new Date(Date.now() + 60_000);
    utimesSync(installed, later, later); // as a reinstall of the same version would
    expect(buildBundle(entry, { cacheDir }).cached).toBe(true);

    write(installed, 'exports.greeting = "hallo";\n'); // same size, new time: the content decides
    const changed = buildBundle(entry, { cacheDir });
    expect(changed.cached).toBe(false);
    expect(readFileSync(path.join(changed.dir, "index.js"), "utf8")).toContain("hallo");
  });
});
