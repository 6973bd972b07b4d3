/**
 * Tests and scripts run on the Node.js major the functions deploy to (README "Node.js version"):
 * the `node` devDependency puts that Node.js first on PATH for every npm script (`npm test`,
 * `npm run synth`, `npx ...`), whatever Node.js runs npm itself.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { NODE_RUNTIME } from "../blocks/lambda/bundle";

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const runtimeMajor = /^nodejs(\d+)\.x$/.exec(NODE_RUNTIME)?.[1];

test("the node devDependency is the Lambda runtime's major, pinned exactly", () => {
  expect(runtimeMajor).toBeDefined();
  expect(pkg.devDependencies.node).toMatch(new RegExp(`^${runtimeMajor}\\.\\d+\\.\\d+$`));
});

test("this test runs on it (run through npm test or npx, which put node_modules/.bin first on PATH)", () => {
  expect(process.versions.node.split(".")[0]).toBe(runtimeMajor);
});
