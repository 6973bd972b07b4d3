/**
 * `npm run replay -- <id> --dashboard FILE.html` (tools/replay/dashboard.ts):
 * the replay's figures laid out as the stack's dashboard, opened in headless
 * Chromium (Debian's `chromium`, installed by .ci/run): every widget of the
 * stack's dashboard is on the page and drew data (series, alarm states or log
 * rows), and the page loads nothing from the network.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sharedSynthDir } from "./support/synth";

const ROOT = path.join(__dirname, "..");
const CHROMIUM = "chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "replay-dashboard-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The page's DOM after its script ran, as Chromium renders it. */
function renderedDom(page: string): string {
  const run = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${path.join(scratch, "profile")}`, "--dump-dom", `file://${page}`], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.error) throw new Error(`headless ${CHROMIUM} did not run (${run.error.message}): apt-get install -y chromium (.ci/run does)`);
  return run.stdout;
}

describe.each([
  // Poison records: dead letters and failures for the log tables too.
  ["kinesis-ingest", ["--requests", "80", "--poison-rate", "0.1"], []],
  // Failed deliveries are retried, none reaches the DLQ in so short a run: its table is rightly empty.
  ["webhook-proxy", ["--requests", "40", "--fail-rate", "0.2", "--time-scale", "0.2"], ["Latest dead letters"]],
])("%s replay dashboard", (stack, options, emptyTables) => {
  it("draws every widget of the stack's dashboard with the replay's data", () => {
    const page = path.join(scratch, `${stack}.html`);
    const replay = spawnSync(
      process.execPath,
      ["--require", "tsx/cjs", "tools/replay/index.ts", stack, ...options, "--dashboard", page, "--synth-dir", sharedSynthDir("app"), "--no-progress"],
      { cwd: ROOT, encoding: "utf8", timeout: 240_000 },
    );
    expect(replay.stdout).toContain(`dashboard: ${page}`);
    expect(replay.status).toBe(0);

    const html = readFileSync(page, "utf8");
    // Self-contained: no script, style or image from anywhere else.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const { widgets } = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as { widgets: { title: string }[] };

    const dom = renderedDom(page);
    const drawn = [...dom.matchAll(/<section class="widget" data-type="(\w+)"[^>]*data-rendered="(\d+)"[^>]*><h2>([^<]*)<\/h2>/g)].map((m) => ({
      type: m[1],
      rendered: Number(m[2]),
      title: m[3],
    }));
    expect(drawn.map((w) => w.title)).toEqual(widgets.map((w) => w.title));
    expect(drawn.filter((w) => w.rendered === 0).map((w) => w.title)).toEqual(emptyTables);
    if (emptyTables.length > 0) expect(replay.stdout).toMatch(/dead-lettered +0\n/);
    expect(new Set(drawn.map((w) => w.type))).toEqual(new Set(["metric", "alarm", "log"]));
  });
});
