/**
 * Every public prop and field of every pattern is in its README's tables: the
 * props of `<Name>Props` (besides the shared `PatternProps`) in "Props", the
 * public readonly fields of `<Name>` in "Properties" (names in backticks, first
 * column), and the shared ones in patterns/README.md. Read with TypeScript's
 * checker, so inherited props (e.g. the REST front door's) count too.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const PATTERNS = path.join(ROOT, "patterns");
const patternDirs = readdirSync(PATTERNS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(PATTERNS, d.name, "index.ts")))
  .map((d) => d.name);

const program = ts.createProgram(
  [path.join(ROOT, "blocks", "pattern.ts"), ...patternDirs.map((d) => path.join(PATTERNS, d, "index.ts"))],
  { strict: true, skipLibCheck: true, noEmit: true, types: [] },
);
const checker = program.getTypeChecker();

function exported(file: string, name: string): ts.Symbol {
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
  if (!symbol) throw new Error(`${path.relative(ROOT, file)} exports no ${name}`);
  return symbol;
}

/** Property names of an exported interface (inherited included). */
function propsOf(file: string, name: string): string[] {
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(exported(file, name))).map((p) => p.name);
}

/** Public readonly fields and getters of an exported class's instances (inherited included). */
function fieldsOf(file: string, name: string): string[] {
  const instance = checker.getDeclaredTypeOfSymbol(exported(file, name));
  return checker
    .getPropertiesOfType(instance)
    .filter((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (!decl || ts.isMethodDeclaration(decl)) return false;
      const flags = ts.getCombinedModifierFlags(decl as ts.Declaration);
      return !(flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && (ts.isPropertyDeclaration(decl) || ts.isGetAccessor(decl));
    })
    .map((p) => p.name)
    .filter((n) => n !== "node");
}

/** The backticked names in the first column of the table under `## <heading>`. */
function tableNames(readme: string, heading: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`) || s.startsWith(`${heading} `));
  if (!section) return [];
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => /^\| `([^`]+)`/.exec(line)?.[1] ?? "");
}

const className = (dir: string) => dir.split("-").map((w) => (w === "alb" || w === "api" ? w.toUpperCase() : w[0].toUpperCase() + w.slice(1))).join("").replace("API", "Api").replace("ALB", "Alb");
const shared = { props: propsOf(path.join(ROOT, "blocks", "pattern.ts"), "PatternProps"), fields: fieldsOf(path.join(ROOT, "blocks", "pattern.ts"), "Pattern") };

test("patterns/README.md documents the props and fields every pattern shares", () => {
  const readme = readFileSync(path.join(PATTERNS, "README.md"), "utf8");
  expect(shared.props.filter((p) => !tableNames(readme, "Props every pattern takes").includes(p))).toEqual([]);
  expect(shared.fields.filter((f) => !tableNames(readme, "Properties every pattern has").includes(f))).toEqual([]);
});

test("there is a pattern per deployable stack", () => {
  expect(patternDirs.length).toBeGreaterThan(0);
});

describe.each(patternDirs.map((d) => [d]))("patterns/%s/README.md", (dir) => {
  const file = path.join(PATTERNS, dir, "index.ts");
  const name = className(dir);
  const readme = existsSync(path.join(PATTERNS, dir, "README.md")) ? readFileSync(path.join(PATTERNS, dir, "README.md"), "utf8") : "";

  test(`lists every prop of ${name}Props in "Props"`, () => {
    const own = propsOf(file, `${name}Props`).filter((p) => !shared.props.includes(p));
    expect(own.filter((p) => !tableNames(readme, "Props").includes(p))).toEqual([]);
  });

  test(`lists every public field of ${name} in "Properties"`, () => {
    const own = fieldsOf(file, name).filter((f) => !shared.fields.includes(f));
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter((f) => !tableNames(readme, "Properties").includes(f))).toEqual([]);
  });

  test("has a diagram and a Default settings section", () => {
    expect(readme).toContain("```mermaid");
    expect(readme).toMatch(/^## Default settings$/m);
  });
});
