/**
 * An Application Load Balancer played from cdk.tf.json: the HTTPS listener's
 * rules in priority order (path-pattern, host-header and http-request-method
 * conditions; forward to a Lambda target group, fixed-response, redirect) and
 * its default action, and the HTTP listener answered as the ALB would (its
 * redirect to HTTPS). Locally both speak plain HTTP on their own ports: the
 * HTTPS listener's port stands for 443, the HTTP listener's for 80.
 */
import type { ALBEvent, ALBResult } from "aws-lambda";
import { type Block, referenceOf, resources, type SynthesizedStack } from "../emulator/synth";
import type { LocalRuntime } from "./runtime";
import { flatHeaders, header, isTextContent, jsonResponse, type LocalRequest, type LocalResponse } from "./server";

interface Listener {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly defaultActions: Block[];
  readonly rules: { priority: number; conditions: Block[]; actions: Block[] }[];
}

export interface Alb {
  /** The HTTPS listener (or the only one). */
  readonly main: Listener;
  /** The HTTP listener, when the ALB has both. */
  readonly redirect?: Listener;
  readonly routes: string[];
  handle(listener: Listener, req: LocalRequest): Promise<LocalResponse>;
}

function readListeners(stack: SynthesizedStack): Listener[] {
  const rules = resources(stack, "aws_lb_listener_rule");
  return resources(stack, "aws_lb_listener").map(([name, l]) => ({
    name,
    port: Number(l.port),
    protocol: String(l.protocol),
    defaultActions: (l.default_action as Block[] | undefined) ?? [],
    rules: rules
      .filter(([, r]) => referenceOf(r.listener_arn)?.name === name)
      .map(([, r]) => ({ priority: Number(r.priority), conditions: (r.condition as Block[]) ?? [], actions: (r.action as Block[]) ?? [] }))
      .sort((a, b) => a.priority - b.priority),
  }));
}

/** ALB wildcards: `*` any characters, `?` one; matched case-sensitively on the whole path. */
const wildcard = (pattern: string, flags = ""): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);

function conditionHolds(condition: Block, req: LocalRequest): boolean {
  const values = (b: unknown): string[] => (((b as Block | undefined)?.values as string[] | undefined) ?? []);
  if (condition.path_pattern) return values(condition.path_pattern).some((p) => wildcard(p).test(req.url.pathname));
  if (condition.host_header) return values(condition.host_header).some((p) => wildcard(p, "i").test((header(req, "host") ?? "").replace(/:\d+$/, "")));
  if (condition.http_request_method) return values(condition.http_request_method).includes(req.method);
  throw new Error(`listener rule condition ${Object.keys(condition).join(",")} is not played locally`);
}

export function alb(runtime: LocalRuntime): Alb {
  const { stack } = runtime;
  const listeners = readListeners(stack);
  const main = listeners.find((l) => l.protocol === "HTTPS") ?? listeners[0];
  const redirect = listeners.find((l) => l !== main && l.protocol === "HTTP");
  // target group -> function, through the attachments.
  const targets = new Map<string, string>();
  for (const [, a] of resources(stack, "aws_lb_target_group_attachment")) {
    const group = referenceOf(a.target_group_arn)?.name;
    const fn = referenceOf(a.target_id);
    if (group && fn?.type === "aws_lambda_function") targets.set(group, fn.name);
  }

  const forward = async (action: Block, req: LocalRequest, listener: Listener): Promise<LocalResponse> => {
    const groupName = referenceOf(action.target_group_arn)?.name ?? "";
    const fn = runtime.functions.get(targets.get(groupName) ?? "");
    if (!fn) return { status: 503, headers: { "content-type": "text/html" }, body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>" };
    const group = stack.json.resource?.aws_lb_target_group?.[groupName] ?? {};
    const headers = flatHeaders(req);
    headers["x-forwarded-for"] = req.sourceIp;
    headers["x-forwarded-proto"] = listener.protocol.toLowerCase();
    headers["x-forwarded-port"] = String(listener.port);
    const binary = req.body.length > 0 && !isTextContent(headers["content-type"]);
    const query: Record<string, string> = {};
    // The ALB passes query values as sent (still percent-encoded).
    for (const pair of req.url.search.replace(/^\?/, "").split("&").filter(Boolean)) {
      const [k, v = ""] = pair.split("=");
      query[k] = v;
    }
    const event: ALBEvent = {
      requestContext: { elb: { targetGroupArn: `arn:aws:elasticloadbalancing:local:123456789012:targetgroup/${String(group.name)}/local` } },
      httpMethod: req.method,
      path: req.url.pathname,
      queryStringParameters: query,
      headers,
      body: binary ? req.body.toString("base64") : req.body.toString("utf8"),
      isBase64Encoded: binary,
    };
    let result: ALBResult;
    try {
      result = await fn.invoke<ALBResult>(event);
    } catch {
      return { status: 502, headers: { "content-type": "text/html" }, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" };
    }
    // The ALB refuses a response whose header values are not strings (the seed's 502).
    const bad = !result || typeof result.statusCode !== "number" || Object.values(result.headers ?? {}).some((v) => typeof v !== "string");
    if (bad) return { status: 502, headers: { "content-type": "text/html" }, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" };
    const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
    return { status: result.statusCode, headers: { ...(result.headers as Record<string, string>) }, body };
  };

  const perform = async (action: Block, req: LocalRequest, listener: Listener): Promise<LocalResponse> => {
    const type = String(action.type);
    if (type === "forward") return forward(action, req, listener);
    if (type === "fixed-response") {
      const f = action.fixed_response as Block;
      return { status: Number(f.status_code), headers: { "content-type": String(f.content_type ?? "text/plain") }, body: String(f.message_body ?? "") };
    }
    if (type === "redirect") {
      const r = action.redirect as Block;
      const host = (header(req, "host") ?? "127.0.0.1").replace(/:\d+$/, "");
      const fill = (v: unknown, fallback: string): string =>
        String(v ?? fallback).replace("#{host}", host).replace("#{path}", req.url.pathname.replace(/^\//, "")).replace("#{port}", String(listener.port)).replace("#{query}", req.url.search.replace(/^\?/, "")).replace("#{protocol}", listener.protocol.toLowerCase());
      const protocol = fill(r.protocol, "#{protocol}").toLowerCase();
      const query = fill(r.query, "#{query}");
      const location = `${protocol}://${fill(r.host, "#{host}")}:${fill(r.port, "#{port}")}/${fill(r.path, "/#{path}").replace(/^\//, "")}${query ? `?${query}` : ""}`;
      return { status: String(r.status_code) === "HTTP_302" ? 302 : 301, headers: { location, "content-type": "text/html" }, body: "" };
    }
    return jsonResponse(500, { message: `action ${type} is not played locally` });
  };

  return {
    main,
    redirect,
    routes: [
      ...main.rules.map((r) => `${r.conditions.map((c) => JSON.stringify(c)).join(" ")} -> ${r.actions.map((a) => String(a.type)).join(",")}  (priority ${r.priority})`),
      `default -> ${main.defaultActions.map((a) => String(a.type)).join(",")}`,
    ],
    async handle(listener, req) {
      for (const rule of listener.rules) if (rule.conditions.every((c) => conditionHolds(c, req))) return perform(rule.actions[0], req, listener);
      return perform(listener.defaultActions[0], req, listener);
    },
  };
}
