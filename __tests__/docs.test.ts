/**
 * The documentation holds together: every stack README has the same sections, in the
 * same order (README "How to add a pattern and its stack"), and every relative link in README.md,
 * docs/ and the stack READMEs points at a file that exists and, with a `#fragment`,
 * at a heading of that file. What README.md and docs/ name exists too: every
 * `npm run <script>` (in any markdown file of the project) is a script of package.json,
 * and every file or folder path in README.md and docs/*.md (inline code, and the
 * README's Layout tree) is in the project, unless it is an output (.gitignore's
 * entries, the synth's and Terraform's files). Each stack README's "Operate it" section names every
 * alarm and dashboard widget the stack synthesizes (the shared synth of the test run). Plain file
 * reads otherwise, no synth of its own.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { STACK_IDS } from "../main";
import { resolveLiterals, stackFromJson } from "../tools/emulator/synth";
import { parseDashboardBody } from "./support/dashboard-coverage";
import { blocksOf, readSynthesizedStack } from "./support/synth";

const root = path.resolve(__dirname, "..");

const STACK_README_HEADINGS = [
  "What and why",
  "Diagram",
  "Resources: the seed and ours",
  "Deviations from the seed",
  "Who may call",
  "Reliability",
  "Operate it",
  "Configuration",
  "Default settings",
  "Try it locally",
  "Deploy",
  "Try it live",
  "Tests",
];

const stackReadmes = readdirSync(path.join(root, "stacks"))
  .map((id) => path.join("stacks", id, "README.md"))
  .filter((file) => existsSync(path.join(root, file)));
const docs = readdirSync(path.join(root, "docs"))
  .filter((name) => name.endsWith(".md"))
  .map((name) => path.join("docs", name));
const markdownFiles = ["README.md", ...docs, ...stackReadmes];

/** The lines of a markdown file outside fenced code blocks. */
function proseLines(file: string): string[] {
  let fenced = false;
  return readFileSync(path.join(root, file), "utf8")
    .split("\n")
    .filter((line) => {
      if (line.startsWith("```")) fenced = !fenced;
      return !fenced && !line.startsWith("```");
    });
}

function headings(file: string, level?: number): string[] {
  return proseLines(file).flatMap((line) => {
    const match = /^(#{1,6}) (.+)$/.exec(line);
    return match && (level === undefined || match[1].length === level) ? [match[2].trim()] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  return new Set(
    headings(file).map((text) => {
      const base = text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      return count === 0 ? base : `${base}-${count}`;
    }),
  );
}

function relativeLinks(file: string): string[] {
  return proseLines(file).flatMap((line) =>
    [...line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1])
      .filter((target) => !/^[a-z]+:/i.test(target)),
  );
}

test("every stack of the registry (STACK_IDS), and no other folder of stacks/, has a README; there is a docs folder to check", () => {
  expect([...stackReadmes].sort()).toEqual(STACK_IDS.map((id) => path.join("stacks", id, "README.md")).sort());
  expect(docs.length).toBeGreaterThan(0);
});

test.each(stackReadmes)("%s has the shared stack README sections, in order", (file) => {
  expect(headings(file, 2)).toEqual(STACK_README_HEADINGS);
});

test.each(markdownFiles)("every relative link in %s resolves", (file) => {
  const broken = relativeLinks(file).filter((link) => {
    const [target, fragment] = link.split("#");
    const resolved = target === "" ? path.join(root, file) : path.resolve(root, path.dirname(file), decodeURI(target));
    if (!existsSync(resolved)) return true;
    if (fragment === undefined || !resolved.endsWith(".md") || statSync(resolved).isDirectory()) return false;
    return !anchors(path.relative(root, resolved)).has(decodeURIComponent(fragment));
  });
  expect(broken).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// What the docs name exists: npm scripts, and file or folder paths.

const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

/** Every markdown file of the project (patterns' and blocks' READMEs too), outside installs and outputs. */
const allMarkdown = (execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], { cwd: root, encoding: "utf8" }) as string)
  .split("\n")
  .filter((file) => file !== "" && existsSync(path.join(root, file)));

test.each(allMarkdown)("every `npm run <script>` in %s is a script of package.json", (file) => {
  const named = [...readFileSync(path.join(root, file), "utf8").matchAll(/\bnpm run ([a-z][\w:.-]*)/g)].map((m) => m[1].replace(/[:.,]+$/, ""));
  expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
});

/** Outputs, never in the repository: .gitignore's entries (folders and file patterns), and what synth and Terraform write. */
const ignored = readFileSync(path.join(root, ".gitignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));
/** Files commands write: synth (and its bundles), Terraform, the replay's chart. */
const OUTPUT_FILES = new Set(["cdk.tf.json", "cdk.tf", "manifest.json", "code.zip", "index.js", "plan", ".terraform.lock.hcl", "spike.svg"]);

/** A glob of .gitignore (`*` within a name) as a regular expression. */
const globRegex = (glob: string): RegExp => new RegExp(`^${glob.replace(/\/$/, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);

function isOutput(p: string): boolean {
  const segments = p.split("/").filter(Boolean);
  const name = segments[segments.length - 1] ?? "";
  if (OUTPUT_FILES.has(name) || /\.tfstate(\.|$)/.test(name)) return true;
  return ignored.some((entry) => segments.some((segment) => globRegex(entry).test(segment)));
}

/** The project's top-level entries: what git knows of (an empty folder left by a move is none). */
const rootEntries = new Set(allFiles().map((file) => file.split("/")[0]));
const trackedNames = new Set(allFiles().map((file) => path.basename(file)));

/** The project's files (tracked, and new ones not ignored), for bare file names. */
function allFiles(): string[] {
  return (execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }) as string).split("\n").filter(Boolean);
}

const FILE_EXTENSION = /\.(ts|js|sh|md|json|tfvars|txt|svg|tf)$/;

/** `<id>` stands for every stack id; any other placeholder (`<env>`, `<hash>`) is not checked. */
function expand(p: string): string[] {
  const withIds = p.includes("<id>") ? STACK_IDS.map((id) => p.replace(/<id>/g, id)) : [p];
  return withIds.filter((candidate) => !/[<>*]/.test(candidate));
}

/**
 * Whether `named` (as written in `file`) is a path of this project: it starts with an entry of the
 * project root, or is `./`/`../` relative to the file, or (no folder) is a file name the project has.
 * Package paths (`tsx/cjs`, `@cdktf/provider-aws/lib/...`) and commands are none of these: not checked.
 */
function missingPath(named: string, file: string): string | undefined {
  const clean = named.replace(/[:,;.)]+$/, "").replace(/^\.\//, "");
  // An extension (`.ts`) or a placeholder name (`FILE.svg`) names no file.
  if (/^\.\w+$/.test(clean) || /^[A-Z_]+\.\w+$/.test(clean)) return undefined;
  if (clean === "" || /^[a-z]+:/i.test(clean) || clean.startsWith("/") || clean.startsWith("~") || /\s|=|\$/.test(clean)) return undefined;
  const first = clean.split("/")[0];
  const candidates = expand(clean);
  if (clean.startsWith("../")) {
    // Outside the repository (the seeds beside it): not in a fresh clone, not this test's to check.
    if (!path.resolve(root, path.dirname(file), clean).startsWith(root + path.sep)) return undefined;
    return candidates.some((c) => !isOutput(c) && !existsSync(path.resolve(root, path.dirname(file), c))) ? named : undefined;
  }
  if (clean.includes("/") && rootEntries.has(first)) {
    return candidates.some((c) => !isOutput(c) && !existsSync(path.join(root, c))) ? named : undefined;
  }
  if (clean.includes("/") && !rootEntries.has(first) && isOutput(clean)) return undefined;
  if (!clean.includes("/") && FILE_EXTENSION.test(clean)) {
    return candidates.some((c) => !isOutput(c) && !trackedNames.has(c)) ? named : undefined;
  }
  return undefined;
}

/** Inline code spans of a markdown file's prose (fenced blocks aside). */
const inlineCode = (file: string): string[] => proseLines(file).flatMap((line) => [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]));

/** The README's Layout tree: each line's first token, nested under the entry above it with less indentation. */
function layoutPaths(): string[] {
  const text = readFileSync(path.join(root, "README.md"), "utf8");
  const section = text.slice(text.indexOf("## Layout"));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const parents: { indent: number; path: string }[] = [];
  const out: string[] = [];
  for (const line of block.split("\n")) {
    const m = /^( *)(\S+)/.exec(line);
    if (!m || m[1].length > 8) continue; // a description's continuation line
    const indent = m[1].length;
    while (parents.length > 0 && parents[parents.length - 1].indent >= indent) parents.pop();
    const parent = parents[parents.length - 1];
    const full = parent ? `${parent.path}${m[2]}` : m[2];
    out.push(full);
    if (m[2].endsWith("/")) parents.push({ indent, path: full });
  }
  return out;
}

test("the README's Layout names only what exists, and every top-level folder and source file of the project", () => {
  const named = layoutPaths();
  expect(named.length).toBeGreaterThan(10);
  expect(named.flatMap(expand).filter((p) => !existsSync(path.join(root, p)))).toEqual([]);
  // Every top-level entry a newcomer meets is in the tree (dot files, outputs and metadata aside).
  const topLevel = [...rootEntries].filter((entry) => !entry.startsWith(".") && !isOutput(entry) && !/^(package(-lock)?\.json|LICENSE|CHANGELOG\.md|README\.md|tsconfig.*\.json|jest\.(config|transform)\.js|cdktf\.json)$/.test(entry));
  const listed = new Set(named.map((p) => p.split("/")[0]));
  expect(topLevel.filter((entry) => !listed.has(entry) && !listed.has(`${entry}/`))).toEqual([]);
});

test.each(["README.md", ...docs])("every file or folder path named in %s exists (outputs aside)", (file) => {
  const missing = inlineCode(file).flatMap((code) => code.split(/\s+/)).flatMap((token) => missingPath(token, file) ?? []);
  expect([...new Set(missing)]).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// "Operate it": every alarm and dashboard widget of a synthesized stack has a row in its README.

/** The first cells of the table rows of one H2 section (`## <heading>` up to the next H2). */
function firstCells(file: string, heading: string): string[] {
  const lines = proseLines(file);
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]*$/.test(line))
    .map((line) => line.split("|")[1].trim());
}

describe.each(STACK_IDS)("stacks/%s/README.md, \"Operate it\"", (id) => {
  const file = path.join("stacks", id, "README.md");
  const stack = stackFromJson(id, readSynthesizedStack("app", id));
  const aws = stack.json.provider.aws?.find((p) => p.alias === undefined);
  const env = String((aws?.default_tags as { tags: Record<string, unknown> }[] | undefined)?.[0]?.tags.environment);
  const cells = firstCells(file, "Operate it");

  test("has a row for every alarm, named by its physical name pattern (`<env>-...`, in code)", () => {
    // A name as Terraform gives it (`${local.function_name_api2sqs}-errors` evaluated), the environment as `<env>`.
    const alarms = blocksOf(stack, "aws_cloudwatch_metric_alarm").map((alarm) => resolveLiterals(stack, String(alarm.alarm_name)).replace(new RegExp(`^${env}-`), "<env>-"));
    const named = new Set(cells.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1])));
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.filter((name) => !named.has(name))).toEqual([]);
  });

  test("has a row for every widget of its dashboard, named by its title", () => {
    const titles = blocksOf(stack, "aws_cloudwatch_dashboard").flatMap((d) => parseDashboardBody(String(d.dashboard_body)).widgets.map((w) => String((w.properties as { title?: unknown }).title)));
    expect(titles.length).toBeGreaterThan(0);
    expect(titles.filter((title) => !cells.some((cell) => cell.includes(title)))).toEqual([]);
  });
});
