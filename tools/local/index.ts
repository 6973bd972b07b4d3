/**
 * Serves one synthesized stack's entry points on 127.0.0.1 until interrupted,
 * driven by `cdktf.out/stacks/<id>/cdk.tf.json` and the bundles synth wrote:
 *
 *   npm run local -- <stack> [--port N] [--upstream URL] [--fault NAME[=RATE]]... [--synth-dir DIR]
 *
 * REST APIs, HTTP APIs and ALB listeners in front of the bundled functions,
 * event source mappings polling kinesalite / local-aws-sqs, tables on
 * dynalite. Prints the base URL, every route and every engine's endpoint
 * (for `aws --endpoint-url`), then one line per request. SIGINT, SIGTERM
 * and SIGHUP stop everything (all engines run in this process). `npm run
 * local` execs node in place of npm's script shell, so a SIGTERM to npm
 * reaches this process (a shell would die of it and leave the server
 * running). The configuration is checked as synth checks it, and a synth
 * output of another APP_ENV / AWS_REGION / LAMBDA_PACKAGING than the one set is
 * refused. Exit codes: 0 after a clean stop, 2 on a usage or configuration
 * error, 1 when the stack cannot start.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { loadDeployment } from "../../config";
import { LOCAL_STACK_IDS } from "../../main";
import { numberOption, readOptions, runMain, stackArgument, UsageError } from "../cli";
import { FAKE_CREDENTIALS, REGION, startParameterStore } from "../emulator/engines";
import { Random } from "../emulator/random";
import { type Block, configurationMismatch, environmentVariables, readStack, resolveLiterals, resources, type SynthesizedStack } from "../emulator/synth";
import { alb } from "./alb";
import { httpApi } from "./http-api";
import { type Mapping, startMappings } from "./mappings";
import { restApi } from "./rest-api";
import { type LocalRuntime, startRuntime } from "./runtime";
import { type FrontDoor, serve } from "./server";
import { newCredentials } from "./sigv4";
import { startEchoUpstream, startTranslateStandIn, PSEUDO_TRANSLATION_LABEL } from "./stand-ins";
import { describeKey } from "./usage-plans";

/** The registry's stacks `npm run local` serves (`local` in main.ts). */
export const LOCAL_STACKS = LOCAL_STACK_IDS;

/** Faults from the replays, switched on with `--fault NAME[=RATE]`. */
export const FAULTS = {
  throttle: "kinesis-ingest: DynamoDB answers a share of BatchWriteItem puts as UnprocessedItems (default 0.3)",
  poison: "kinesis-ingest: a share of stream records reach the consumer padded past the 400 KB item limit (default 0.1)",
  "upstream-fail": "webhook-proxy: the local echo upstream answers a share of deliveries 500 (default 0.5)",
} as const;
type FaultName = keyof typeof FAULTS;
const FAULT_DEFAULTS: Record<FaultName, number> = { throttle: 0.3, poison: 0.1, "upstream-fail": 0.5 };

const USAGE = `usage: npm run local -- <${LOCAL_STACKS.join("|")}> [options]
  --port N           port of the entry point on 127.0.0.1 (default 3000; 0: a free port)
  --upstream URL     webhook-proxy: where deliveries go (default: a local echo server that logs them)
  --fault NAME[=R]   switch on a fault (repeatable):
${Object.entries(FAULTS).map(([k, v]) => `                     ${k}: ${v}`).join("\n")}
  --var NAME=VALUE   a Terraform variable's value instead of its default (repeatable), as -var would set it
                     (webhook-proxy: --var signature_scheme=sendgrid)
  --synth-dir DIR    the synth output to serve (default cdktf.out)`;

export interface LocalOptions {
  readonly stack: string;
  readonly port: number;
  readonly upstream?: string;
  readonly faults: Partial<Record<FaultName, number>>;
  readonly synthDir: string;
  /** Variable values given with --var, as typed. @default none */
  readonly vars?: Readonly<Record<string, string>>;
}

export function parseArgs(argv: readonly string[]): LocalOptions {
  const [first, ...rest] = argv;
  const stack = stackArgument(first, LOCAL_STACKS);
  let port = 3000;
  let upstream: string | undefined;
  let synthDir = "cdktf.out";
  const faults: Partial<Record<FaultName, number>> = {};
  const vars: Record<string, string> = {};
  for (const [name, value] of readOptions(rest)) {
    if (name === "port") port = numberOption("port", value, 0, 65535, true);
    else if (name === "upstream") {
      try {
        const url = new URL(value);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
      } catch {
        throw new UsageError(`--upstream must be an http(s) URL, got "${value}"`);
      }
      upstream = value;
    } else if (name === "fault") {
      const [fault, rate] = value.split("=");
      if (!(fault in FAULTS)) throw new UsageError(`unknown fault "${fault}": choose one of ${Object.keys(FAULTS).join(", ")}`);
      const r = rate === undefined ? FAULT_DEFAULTS[fault as FaultName] : Number(rate);
      if (!Number.isFinite(r) || r < 0 || r > 1) throw new UsageError(`--fault ${fault}=R needs R in [0, 1], got "${rate}"`);
      faults[fault as FaultName] = r;
    } else if (name === "var") {
      const at = value.indexOf("=");
      if (at <= 0) throw new UsageError(`--var needs NAME=VALUE, got "${value}"`);
      vars[value.slice(0, at)] = value.slice(at + 1);
    } else if (name === "synth-dir") synthDir = value;
    else throw new UsageError(`unknown option --${name}`);
  }
  return { stack, port, upstream, faults, synthDir, vars };
}

export interface RunningStack {
  readonly url: string;
  /** The start banner, as printed. */
  readonly banner: string[];
  stop(): Promise<void>;
}

interface SigningSettings {
  readonly scheme: string;
  readonly parameter: string;
  readonly publicKey: string;
  readonly header: string;
  readonly prefix: string;
  readonly encoding: string;
}

/** Sets variables' values (`--var`) as their defaults, with the declared type's parsing; an unknown name is refused. */
function applyVars(stack: SynthesizedStack, vars: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(vars)) {
    // The synth output read for this run only: the file itself is left as it is.
    const variables = stack.json.variable as Record<string, Record<string, unknown>>;
    const variable = variables[name];
    if (!variable) throw new UsageError(`--var ${name}: ${stack.id} has no variable ${name} (it has ${Object.keys(stack.json.variable).join(", ")})`);
    const type = String(variable.type ?? "string");
    if (type === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) throw new UsageError(`--var ${name}: the variable is a number, got "${text}"`);
      variables[name] = { ...variable, default: n };
    } else if (type === "string") variables[name] = { ...variable, default: text };
    else throw new UsageError(`--var ${name}: only string and number variables can be set here (it is ${type})`);
  }
}

/** The signature check a function of the stack makes before it accepts a request, if any (`SIGNATURE_*` variables). */
function signingSettings(stack: SynthesizedStack): SigningSettings | undefined {
  for (const [, fn] of resources(stack, "aws_lambda_function")) {
    const vars = environmentVariables(fn);
    if (typeof vars.SIGNATURE_SECRET_PARAMETER !== "string") continue;
    const value = (name: string): string => resolveLiterals(stack, String(vars[name] ?? ""));
    return {
      scheme: value("SIGNATURE_SCHEME") || "hmac",
      parameter: value("SIGNATURE_SECRET_PARAMETER"),
      publicKey: value("SIGNATURE_PUBLIC_KEY"),
      header: value("SIGNATURE_HEADER"),
      prefix: value("SIGNATURE_PREFIX"),
      encoding: value("SIGNATURE_ENCODING"),
    };
  }
  return undefined;
}

/** A P-256 key pair for a local SendGrid-signed run: the public key as SendGrid shows it (base64 DER), the private key as a PEM file. */
function localSendgridKey(): { publicKey: string; keyFile: string; dir: string } {
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const dir = mkdtempSync(path.join(os.tmpdir(), "local-sendgrid-"));
  const keyFile = path.join(dir, "sendgrid-private-key.pem");
  writeFileSync(keyFile, pair.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  return { publicKey: pair.publicKey.export({ format: "der", type: "spki" }).toString("base64"), keyFile, dir };
}

/** Whether the synth output holds the stack; the message says how to make it. */
export function synthesizedStack(synthDir: string, id: string): SynthesizedStack {
  const file = path.join(synthDir, "stacks", id, "cdk.tf.json");
  if (!existsSync(file)) throw new Error(`${id} is not synthesized: ${file} does not exist. Run \`npm run synth\` first (it writes cdktf.out/stacks/<id>/), then start again.`);
  return readStack(synthDir, id);
}

export async function startLocal(options: LocalOptions, log: (line: string) => void): Promise<RunningStack> {
  const stack = synthesizedStack(options.synthDir, options.stack);
  applyVars(stack, options.vars ?? {});
  const credentials = newCredentials();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // Stand-ins first: the functions' endpoints point at them.
    const extraEndpoints: Record<string, string> = {};
    const usesTranslate = JSON.stringify(stack.json).includes("translate:TranslateText");
    if (usesTranslate) {
      const translate = await startTranslateStandIn();
      cleanups.push(() => translate.stop());
      extraEndpoints.translate = translate.endpoint;
    }
    // A signature check (webhook-proxy's api2sqs): its secret from a local Parameter Store stand-in;
    // SendGrid's scheme: a local key pair unless a public key was given, the private key in a temporary file.
    const signing = signingSettings(stack);
    const signingSecret = signing?.scheme === "standard-webhooks" ? `whsec_${randomBytes(24).toString("base64")}` : `local-${randomBytes(16).toString("hex")}`;
    const sendgrid = signing?.scheme === "sendgrid" && signing.publicKey === "" ? localSendgridKey() : undefined;
    if (sendgrid) cleanups.push(async () => rmSync(sendgrid.dir, { recursive: true, force: true }));
    if (signing) {
      const ssm = await startParameterStore({ [signing.parameter]: signingSecret });
      cleanups.push(() => ssm.stop());
      extraEndpoints.ssm = ssm.endpoint;
    }
    let upstream = options.upstream;
    const callsUpstream = (fn: Block): boolean => "UPSTREAM" in environmentVariables(fn);
    const usesUpstream = resources(stack, "aws_lambda_function").some(([, fn]) => callsUpstream(fn));
    if (usesUpstream && !upstream) {
      const random = new Random(1);
      const echo = await startEchoUpstream(log, options.faults["upstream-fail"] ?? 0, () => random.next());
      cleanups.push(() => echo.stop());
      upstream = echo.endpoint;
    }
    const runtime: LocalRuntime = await startRuntime(stack, {
      extraEndpoints,
      throttleRate: options.faults.throttle,
      environmentOverrides: (fn): Record<string, string> => ({
        ...(callsUpstream(fn) && upstream ? { UPSTREAM: upstream } : {}),
        ...(sendgrid && "SIGNATURE_PUBLIC_KEY" in environmentVariables(fn) ? { SIGNATURE_PUBLIC_KEY: sendgrid.publicKey } : {}),
      }),
      log,
    });
    cleanups.push(() => runtime.stop());
    const mappings: Mapping[] = startMappings(runtime, log, { poisonRate: options.faults.poison });
    cleanups.push(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

    const banner: string[] = [`${stack.id}: serving ${path.join(options.synthDir, "stacks", stack.id, "cdk.tf.json")} and its bundled functions on local engines`];
    let door: FrontDoor;
    if (resources(stack, "aws_api_gateway_rest_api").length > 0) {
      const api = restApi(runtime, { credentials });
      door = await serve(options.port, (req) => api.handle(req), log);
      banner.push(`base URL: ${door.url}/${api.stageName}  (REST API, stage ${api.stageName})`, "routes:", ...api.routes.map((r) => `  ${r}`));
      if (api.usesApiKeys) for (const key of api.apiKeys) banner.push(`API key (send as x-api-key): ${key.value}  (${key.client}: ${describeKey(key)})`);
    } else if (resources(stack, "aws_apigatewayv2_api").length > 0) {
      const api = httpApi(runtime, credentials);
      door = await serve(options.port, (req) => api.handle(req), log);
      banner.push(`base URL: ${door.url}  (HTTP API, as on its custom domain)`, "routes:", ...api.routes.map((r) => `  ${r}`));
    } else if (resources(stack, "aws_lb").length > 0) {
      const lb = alb(runtime);
      door = await serve(options.port, (req) => lb.handle(lb.main, req), log, "");
      banner.push(`base URL: ${door.url}  (the ALB's ${lb.main.protocol}:${lb.main.port} listener, served as plain HTTP)`, "rules:", ...lb.routes.map((r) => `  ${r}`));
      if (lb.redirect) {
        const redirectListener = lb.redirect;
        const plain = await serve(0, (req) => lb.handle(redirectListener, req), log, "[HTTP:80] ");
        cleanups.push(() => plain.stop());
        banner.push(`HTTP listener (port ${redirectListener.port}): ${plain.url}  (answers as the ALB does: ${redirectListener.defaultActions.map((a) => String(a.type)).join(",")})`);
      }
    } else throw new Error(`${stack.id} has no REST API, HTTP API or load balancer to serve`);
    cleanups.push(() => door.stop());

    const usesSigV4 = JSON.stringify(stack.json.resource ?? {}).includes('"AWS_IAM"');
    if (usesSigV4) {
      banner.push(
        `AWS_IAM routes take SigV4 signatures by these local credentials (service execute-api, the stack's region ${runtime.region}):`,
        `  AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_REGION=${runtime.region}`,
      );
    }
    const engineRegion = runtime.region === REGION ? REGION : `${REGION} (the engines' own, whatever the stack's)`;
    banner.push(`engines (any AWS client: --endpoint-url URL, region ${engineRegion}, keys ${FAKE_CREDENTIALS.accessKeyId}/${FAKE_CREDENTIALS.secretAccessKey}):`);
    if (runtime.engines.dynamodb) banner.push(`  DynamoDB  ${runtime.engines.dynamodb.endpoint}  tables: ${resources(stack, "aws_dynamodb_table").map(([, t]) => String(t.name)).join(", ")}`);
    if (runtime.engines.kinesis) banner.push(`  Kinesis   ${runtime.engines.kinesis.endpoint}  streams: ${resources(stack, "aws_kinesis_stream").map(([, t]) => String(t.name)).join(", ")}`);
    if (runtime.engines.sqs) banner.push(`  SQS       ${runtime.engines.sqs.endpoint}  queues: ${resources(stack, "aws_sqs_queue").map(([, t]) => String(t.name)).join(", ")}`);
    if (signing?.scheme === "sendgrid") {
      banner.push(
        sendgrid
          ? `webhook signatures: SendGrid's (ECDSA P-256 over <timestamp><raw body>), local key pair; private key ${sendgrid.keyFile}`
          : `webhook signatures: SendGrid's (ECDSA P-256 over <timestamp><raw body>), checked with the given signature_public_key`,
        `  e.g. ts=$(date +%s); body='[{"event":"delivered"}]'; sig=$(printf '%s%s' "$ts" "$body" | openssl dgst -sha256 -sign ${sendgrid?.keyFile ?? "<your private key.pem>"} | base64 -w0); curl -X POST -H "X-Twilio-Email-Event-Webhook-Timestamp: $ts" -H "X-Twilio-Email-Event-Webhook-Signature: $sig" --data-binary "$body" <base URL>/`,
      );
    } else if (signing && signing.scheme !== "hmac" && signing.scheme !== "github") {
      banner.push(`webhook signatures: the ${signing.scheme} scheme (stacks/webhook-proxy/README.md) with the local secret ${signingSecret}`, `  Parameter Store stand-in ${extraEndpoints.ssm}  parameter: ${signing.parameter}`);
    } else if (signing) {
      const { header, prefix, encoding } = signing.scheme === "github" ? { header: "x-hub-signature-256", prefix: "sha256=", encoding: "hex" } : signing;
      banner.push(
        `webhook signatures: ${header}: ${prefix}<HMAC-SHA256 of the raw body, ${encoding}> with the local secret ${signingSecret}`,
        `  e.g. body='{"a":1}'; curl -X POST -H "${header}: ${prefix}$(printf %s "$body" | openssl dgst -sha256 -hmac ${signingSecret} ${encoding === "base64" ? "-binary | base64" : "-hex | sed 's/^.* //'"})" --data-binary "$body" <base URL>/`,
        `  Parameter Store stand-in ${extraEndpoints.ssm}  parameter: ${signing.parameter}`,
      );
    }
    if (extraEndpoints.translate) banner.push(`  Translate ${extraEndpoints.translate}  STAND-IN: answers ${PSEUDO_TRANSLATION_LABEL} text, not a translation`);
    if (upstream) banner.push(`upstream: ${upstream}${options.upstream ? "" : "  (local echo server: logs what it receives)"}`);
    for (const m of mappings) banner.push(`event source mapping: ${m.description}`);
    const faults = Object.entries(options.faults);
    if (faults.length) banner.push(`faults on: ${faults.map(([k, v]) => `${k}=${v}`).join(", ")}`);
    banner.push("Ctrl-C stops everything.");
    return { url: door.url, banner, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  const deployment = loadDeployment(); // checked as synth checks it: a bad one is a `configuration:` line, exit 2
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let running: RunningStack;
  try {
    // The configuration given is the one served: a synth output of another environment is refused.
    const mismatch = configurationMismatch(synthesizedStack(options.synthDir, options.stack), deployment);
    if (mismatch) throw new Error(mismatch);
    running = await startLocal(options, log);
  } catch (err) {
    process.stderr.write(`local: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  for (const line of running.banner) log(line);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping the entry points, mappings and engines ...`);
      running.stop().then(
        () => {
          log("stopped");
          resolve(0);
        },
        (err: unknown) => {
          process.stderr.write(`local: stop failed: ${String(err)}\n`);
          resolve(1);
        },
      );
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(signal));
  });
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runMain("local", USAGE, main);
}
