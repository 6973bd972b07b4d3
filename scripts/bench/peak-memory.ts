/**
 * Runs a command and reports the peak memory of its whole process tree (jest
 * workers, terraform and its providers, esbuild), sampled every 100 ms from
 * /proc (Linux only): the sum of RSS, and the sum of PSS, which counts pages
 * shared by several processes (the provider binary mapped by parallel plans)
 * once, and what the tree held at the PSS peak, by program. `/usr/bin/time -v`
 * reports only the largest single process.
 *
 *   npx tsx scripts/bench/peak-memory.ts -- npx jest
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { printedHelp, reportFailure, UsageError } from "../../tools/cli";

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
    } catch {
      // exited meanwhile
    }
  }
  return byParent;
}

/** What a process is, for the breakdown: its program and, for node, the script it runs. */
function processName(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const program = (argv[0] ?? "?").split("/").pop() ?? "?";
    if (program === "terraform") return `terraform ${argv[1] ?? ""}`;
    if (program !== "node") return program.replace(/_v[\d.]+_x\d+$/, "");
    const script = argv.slice(1).find((a) => !a.startsWith("-") && /\.(c?js|ts)$/.test(a));
    return script ? `node ${script.split("/").slice(-2).join("/")}` : "node";
  } catch {
    return "?";
  }
}

interface TreeMemory {
  rss: number;
  pss: number;
  processes: number;
  /** PSS by process name (kB). */
  byName: Map<string, number>;
}

function treeMemoryKb(root: number): TreeMemory {
  const byParent = children();
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(byParent.get(pids[i]) ?? []));
  let rss = 0;
  let pss = 0;
  const byName = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const own = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += own;
      const name = processName(pid);
      byName.set(name, (byName.get(name) ?? 0) + own);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    } catch {
      // exited meanwhile
    }
  }
  return { rss, pss, processes: pids.length, byName: new Map([...byName].map(([name, kb]) => [`${name} x${counts.get(name)}`, kb])) };
}

const USAGE = `usage: npx tsx scripts/bench/peak-memory.ts -- <command> [args...]
  runs the command and reports the peak memory of its process tree on stderr
  --help, -h   this text (before the --; after it, the command's own)`;

const separator = process.argv.indexOf("--");
const own = process.argv.slice(2, separator >= 0 ? separator : undefined);
// The shared CLI's conventions (tools/cli.ts) for what comes before `--`; the command after it is passed on as it is.
if (printedHelp(own, USAGE)) process.exit(0);
const [command, ...args] = separator >= 0 ? process.argv.slice(separator + 1) : own;
if (!command || (separator < 0 && command.startsWith("-"))) {
  process.exit(reportFailure("peak-memory", USAGE, new UsageError(command ? `unknown option ${command}` : "which command? give it after --")));
}
const start = Date.now();
const child = spawn(command, args, { stdio: "inherit" });
const peak = { rss: 0, pss: 0, processes: 0 };
let atPeak = new Map<string, number>();
const timer = setInterval(() => {
  const now = treeMemoryKb(child.pid ?? 0);
  peak.rss = Math.max(peak.rss, now.rss);
  if (now.pss > peak.pss) atPeak = now.byName;
  peak.pss = Math.max(peak.pss, now.pss);
  peak.processes = Math.max(peak.processes, now.processes);
}, 100);
child.on("exit", (code) => {
  clearInterval(timer);
  const mb = (kb: number): string => (kb / 1024).toFixed(0);
  process.stderr.write(
    `peak-memory: ${((Date.now() - start) / 1000).toFixed(1)} s wall; process tree peak RSS ${mb(peak.rss)} MB, peak PSS ${mb(peak.pss)} MB, up to ${peak.processes} processes\n`,
  );
  const parts = [...atPeak].sort((a, b) => b[1] - a[1]).map(([name, kb]) => `${name} ${mb(kb)}`);
  process.stderr.write(`peak-memory: at the PSS peak (MB): ${parts.join(", ")}\n`);
  process.exit(code ?? 1);
});
