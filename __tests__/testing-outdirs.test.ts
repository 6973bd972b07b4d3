/**
 * cdktf's `Testing.app()` leaves a `cdktf.outdir.*` folder in the temporary folder per call;
 * global-teardown.ts removes those made since the run began (`testingOutdirsSince`, support/synth.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { SHARED_SYNTH_ENV, createdMs, testingOutdirsSince } from "./support/synth";

test("a Testing.app() folder made during the run is listed for removal; none from before the run or of another name", () => {
  const runStart = createdMs(String(process.env[SHARED_SYNTH_ENV]));
  const outdir = Testing.app().outdir;
  const other = mkdtempSync(path.join(tmpdir(), "not-cdktf-"));
  try {
    expect(path.basename(outdir)).toMatch(/^cdktf\.outdir\./);
    expect(testingOutdirsSince(runStart)).toContain(outdir);
    expect(testingOutdirsSince(runStart)).not.toContain(other);
    // A folder made before the given start is left alone (another run's, still in use).
    expect(testingOutdirsSince(createdMs(outdir) + 1)).not.toContain(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
