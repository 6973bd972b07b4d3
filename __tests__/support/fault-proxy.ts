/** The fault-injecting proxy the replays use, for tests: see `tools/emulator/fault-proxy.ts`. */
export { type FaultMode, type FaultProxy, PASS, startFaultProxy } from "../../tools/emulator/fault-proxy";
