/**
 * startup.ts loads the jsii packages' files as plain CommonJS, skipping tsx's
 * scan for ES module syntax. That holds only while those packages are CommonJS:
 * an upgrade that ships one as an ES module must fail here, not at synth.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { JSII_PACKAGE_FILE, JSII_PACKAGES } from "../startup";

const NODE_MODULES = path.resolve(__dirname, "..", "node_modules");

test.each([
  ["cdktf/lib/app.js", true],
  ["constructs/lib/construct.js", true],
  ["@cdktf/provider-aws/lib/sqs-queue/index.js", true],
  ["@cdktf/provider-archive/lib/data-archive-file/index.js", true],
  ["tsx/dist/register-B1c7OH6V.cjs", false],
  ["esbuild/lib/main.js", false],
  ["cdktf-cli/bundle/bin/cdktf.js", false],
  ["@aws-sdk/client-sqs/dist-cjs/index.js", false],
  ["@cdktf/hcl2json/lib/index.js", false],
  ["@cdktf/provider-generator/lib/index.js", false],
  ["cdktf/node_modules/archiver/index.js", false],
  ["cdktf/package.json", false],
])("node_modules/%s is a jsii package file: %s", (file, jsii) => {
  expect(JSII_PACKAGE_FILE.test(path.join(NODE_MODULES, file))).toBe(jsii);
});

test("a project file named like a package is not one", () => {
  expect(JSII_PACKAGE_FILE.test(path.resolve(__dirname, "..", "blocks", "lambda", "bundle.js"))).toBe(false);
});

test.each(JSII_PACKAGES)("%s is installed as CommonJS (what loading it without the scan relies on)", (name) => {
  const pkg = JSON.parse(readFileSync(path.join(NODE_MODULES, name, "package.json"), "utf8")) as { type?: string; main?: string; jsii?: unknown };
  expect(pkg.jsii).toBeDefined();
  expect(pkg.type ?? "commonjs").toBe("commonjs");
  expect(pkg.main).toMatch(/\.js$/);
  expect(JSII_PACKAGE_FILE.test(path.join(NODE_MODULES, name, pkg.main ?? ""))).toBe(true);
});
