/** The provider slots every Terraform run of the machine shares (./prove.ts): lock files in one folder, so memory, not cores, bounds the runs. */
import { mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TERRAFORM_CACHE } from "./init";

/**
 * AWS provider processes at once, by default, across every process using the pool. One
 * holds ~450-600 MB (PSS) with its Terraform run ~250 MB more, and a run of all stacks needs
 * only one (./shared-provider.ts), so memory, not cores, sets this: with one, `npm test`
 * peaks ~300 MB lower (PSS) in the same wall time, the Terraform suites taking turns while
 * the other suites use the cores. `TF_PROOF_SLOTS` changes it.
 */
export const PROVIDER_SLOTS = slotsFrom(process.env.TF_PROOF_SLOTS);

function slotsFrom(value: string | undefined): number {
  const slots = Number(value ?? 1);
  if (Number.isInteger(slots) && slots > 0) return slots;
  throw new Error(`TF_PROOF_SLOTS must be a whole number >= 1, not "${value}"`);
}

const SLOTS = path.join(TERRAFORM_CACHE, "slots");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `weight` of `count` slots shared by every process on this machine (a lock
 * file each, holding the owner's pid; the slot of a dead owner, or a stale
 * one, is taken over). All or none: a run that cannot have all it needs gives
 * back what it took and tries again, so two runs never hold half each.
 */
export async function acquireSlots(count: number, weight = 1): Promise<() => void> {
  mkdirSync(SLOTS, { recursive: true });
  const wanted = Math.min(Math.max(1, weight), count);
  for (;;) {
    const taken: string[] = [];
    for (let i = 0; i < count && taken.length < wanted; i++) {
      const file = path.join(SLOTS, `slot-${i}`);
      try {
        writeFileSync(file, String(process.pid), { flag: "wx" });
        taken.push(file);
      } catch {
        const owner = Number(readFileSafe(file));
        if ((owner > 0 && !alive(owner)) || ageMs(file) > STALE_SLOT_MS) unlinkSafe(file);
      }
    }
    const release = (): void => taken.forEach((file) => rmSync(file, { force: true }));
    if (taken.length === wanted) return release;
    release();
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
  }
}

/** No single plan takes this long: a slot older than this was left behind (its pid reused). */
const STALE_SLOT_MS = 15 * 60 * 1000;

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function unlinkSafe(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // someone else removed it first
  }
}

