/**
 * The dependency advisories docs/security.md accepts ("Dependency advisories")
 * stay where they are: cdktf 0.21.0's bundled lodash, brace-expansion and glob
 * and cdktf-cli's tmp and validator are synth-time or dev-only, so no Lambda
 * bundle may contain a file of them. Each handler entry is bundled by esbuild
 * as blocks/lambda/bundle.ts bundles it (bundle, node, ES module builds first),
 * and its metafile's inputs are read. The installed versions are checked too:
 * an upgrade shows here, and the note in docs/security.md is reviewed with it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { projectEntries } from "../blocks/lambda/bundle";

const ROOT = path.resolve(__dirname, "..");
const ADVISED = ["lodash", "brace-expansion", "glob", "tmp", "validator"];

const version = (packageDir: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, packageDir, "package.json"), "utf8")) as { version: string }).version;

test.each(projectEntries().map((entry) => [path.relative(ROOT, entry)]))("%s: its bundle holds no file of the advised packages", (entry) => {
  const result = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    mainFields: ["module", "main"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.length).toBeGreaterThan(1);
  const advised = inputs.filter((input) => ADVISED.some((name) => input.includes(`node_modules/${name}/`)));
  expect(advised).toEqual([]);
});

test("the advised versions are the ones docs/security.md names", () => {
  expect({
    cdktf: version("node_modules/cdktf"),
    lodash: version("node_modules/cdktf/node_modules/lodash"),
    "brace-expansion": version("node_modules/cdktf/node_modules/brace-expansion"),
    glob: version("node_modules/cdktf/node_modules/glob"),
    "cdktf-cli": version("node_modules/cdktf-cli"),
    tmp: version("node_modules/tmp"),
    validator: version("node_modules/validator"),
  }).toEqual({
    cdktf: "0.21.0",
    lodash: "4.17.21",
    "brace-expansion": "2.0.1",
    glob: "10.4.5",
    "cdktf-cli": "0.21.0",
    tmp: "0.0.33",
    validator: "13.15.0",
  });
  const doc = readFileSync(path.join(ROOT, "docs", "security.md"), "utf8");
  for (const named of ["lodash` 4.17.21", "brace-expansion` 2.0.1", "glob` 10.4.5", "tmp` 0.0.33", "validator` 13.15.0"]) expect(doc).toContain(named);
});
