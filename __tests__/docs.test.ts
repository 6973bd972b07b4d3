/**
 * The documentation holds together: every stack README has the same sections, in the
 * same order (README "How to add a stack"), and every relative link in README.md,
 * docs/ and the stack READMEs points at a file that exists and, with a `#fragment`,
 * at a heading of that file. Plain file reads, no synth.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { STACK_IDS } from "../main";

const root = path.resolve(__dirname, "..");

const STACK_README_HEADINGS = [
  "What and why",
  "Diagram",
  "Resources: the seed and ours",
  "Deviations from the seed",
  "Who may call",
  "Reliability",
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
