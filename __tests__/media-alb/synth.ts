/** Synthesizes a stack once and reads its JSON (test helper of the media-alb tests). */
import { App, TerraformStack, Testing } from "cdktf";

export interface PolicyStatement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

export interface Found {
  key: string;
  value: Record<string, unknown>;
}

export interface Synth {
  /** What the cdktf matchers take. */
  readonly json: string;
  readonly parsed: Record<string, unknown>;
  /** The one block of a type (resource) matching `where`; throws when there is not exactly one. */
  find(type: string, where: (value: Record<string, unknown>) => boolean): Found;
  /** The statements of the `aws_iam_policy_document` data source whose key starts with `keyPrefix`. */
  policyDocument(keyPrefix: string): PolicyStatement[];
}

export function synthStack(build: (app: App) => TerraformStack): Synth {
  const json = Testing.synth(build(Testing.app()));
  const parsed = JSON.parse(json) as Record<string, unknown>;
  const blocks = (kind: "resource" | "data", type: string): [string, Record<string, unknown>][] =>
    Object.entries(((parsed[kind] ?? {}) as Record<string, Record<string, Record<string, unknown>>>)[type] ?? {});
  return {
    json,
    parsed,
    find(type, where) {
      const matches = blocks("resource", type).filter(([, value]) => where(value));
      if (matches.length !== 1) throw new Error(`expected one ${type} to match, found ${matches.length}`);
      return { key: matches[0][0], value: matches[0][1] };
    },
    policyDocument(keyPrefix) {
      const matches = blocks("data", "aws_iam_policy_document").filter(([key]) => key.startsWith(keyPrefix));
      if (matches.length !== 1) throw new Error(`expected one policy document ${keyPrefix}*, found ${matches.length}`);
      return matches[0][1].statement as PolicyStatement[];
    },
  };
}

/** Every resource of a type. */
export function byType(s: Synth, type: string): Record<string, unknown>[] {
  return Object.values(((s.parsed.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>)[type] ?? {});
}
