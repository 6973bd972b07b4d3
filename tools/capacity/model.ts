/**
 * The capacity model: each component on a stack's data path as a capacity
 * in client requests per second, from the synthesized settings and the
 * service limits (limits.ts). Components before the buffer (stream or queue)
 * refuse what exceeds them, so the client sees an error; components after it
 * bound how fast the buffer drains, so excess waits there as a backlog
 * (./components.ts, ./drain.ts; the verdict: ./analysis.ts).
 */
import { frontDoorComponents, directStreamComponents, frontFunctionComponents } from "./components";
import { bufferDrain } from "./drain";
import type { LimitName } from "./limits";
import type { Topology } from "./topology";

export interface TrafficOptions {
  /** Steady request rate, requests/s. */
  readonly rps: number;
  /** Request rate during a burst, requests/s (with burstSeconds). */
  readonly burstRps?: number;
  readonly burstSeconds?: number;
  /** Request payload, KB (one request = one record / message / item of this size). */
  readonly payloadKb: number;
  /** Duration of one Lambda invocation, ms (a batch for stream consumers). */
  readonly durationMs: number;
  /** What the upstream of webhook-proxy accepts, requests/s (undefined: not limited). */
  readonly upstreamRps?: number;
  /** How long the upstream takes to answer one request, ms (the consumer's invocation duration). */
  readonly upstreamLatencyMs: number;
  /** API keys sharing the traffic evenly (usage plans limit each key). */
  readonly clients: number;
}

export type Stage = "front" | "drain";

export interface Component {
  readonly id: string;
  readonly name: string;
  /** front: excess is refused (client sees `symptom`); drain: excess waits in the buffer. */
  readonly stage: Stage;
  /** Client requests per second it holds in steady state (Infinity: no limit). */
  readonly capacity: number;
  /** Extra requests a token bucket admits at once above the rate (front only). */
  readonly bucket: number;
  /** Capacity at `t` seconds into a burst, when the service scales up gradually. */
  readonly capacityAt?: (t: number) => number;
  /** How the capacity is computed, with the numbers. */
  readonly basis: string;
  readonly symptom: string;
  readonly limits: readonly LimitName[];
  /** `--set` lines that make the component hold `target` requests/s, or a sentence why no setting can. */
  readonly fix: (target: number) => string[] | string;
  /** Share of the client requests this component sees (two ALB targets: 0.5 each). */
  readonly share: number;
}

export interface Buffer {
  readonly kind: "stream" | "queue";
  readonly address: string;
  /** Oldest a record / message may get before it leaves unprocessed (seconds) and where it goes. */
  readonly maxAgeS?: number;
  readonly maxAgeNote?: string;
}

export interface Model {
  readonly components: Component[];
  readonly buffer?: Buffer;
  readonly notes: string[];
}

/** The components of a stack's data path, in the order a request meets them. */
export function buildModel(topology: Topology, options: TrafficOptions): Model {
  const notes: string[] = [];
  const components = [
    ...frontDoorComponents(topology.front, options, notes),
    ...directStreamComponents(topology, options, notes),
    ...frontFunctionComponents(topology, options, notes),
  ];
  const drain = topology.buffer ? bufferDrain(topology.buffer, options, notes) : undefined;
  return { components: [...components, ...(drain?.components ?? [])], buffer: drain?.buffer, notes };
}
