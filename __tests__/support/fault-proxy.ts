/** The fault-injecting proxy the replays use, for tests: see `scripts/replay/fault-proxy.ts`. */
export { type FaultMode, type FaultProxy, PASS, startFaultProxy } from "../../scripts/replay/fault-proxy";
