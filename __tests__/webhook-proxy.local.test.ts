/**
 * `npm run local -- webhook-proxy --var signature_scheme=sendgrid`: the local
 * server runs the real bundles with SendGrid's scheme, a local P-256 key pair
 * (the private key in a file the banner names, as SendGrid's console holds it
 * for the real one), and accepts a request signed the SendGrid way (signed here
 * with node:crypto from that PEM file, as `openssl dgst -sign` does), refuses a
 * tampered one, and delivers the accepted body to the echo upstream.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createPrivateKey, sign } from "node:crypto";
import { App } from "cdktf";
import { WebhookProxyStack } from "../stacks/webhook-proxy";
import { type LocalServer, startLocalServer, stopLocalServer, until } from "./support/local-server";
import { offlineDeployment } from "./support/synth";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "webhook-local-"));
  const app = new App({ outdir: dir });
  new WebhookProxyStack(app, "webhook-proxy", { deployment: offlineDeployment });
  app.synth();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function post(server: LocalServer, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(`${server.url}/`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

test("a SendGrid-signed webhook is accepted and delivered; a tampered one, an unsigned one and a stale one are refused", async () => {
  const server = await startLocalServer(["webhook-proxy", "--var", "signature_scheme=sendgrid"], dir);
  try {
    const keyFile = server.line(/private key (\S+\.pem)/);
    const key = createPrivateKey(readFileSync(keyFile));
    const body = '[{"email":"user@example.com","event":"delivered","sg_event_id":"bG9jYWw"}]\r\n';
    const signed = (ts: number, text = body): Record<string, string> => ({
      "X-Twilio-Email-Event-Webhook-Timestamp": String(ts),
      "X-Twilio-Email-Event-Webhook-Signature": sign("sha256", Buffer.from(`${ts}${text}`), key).toString("base64"),
    });
    const ts = Math.floor(Date.now() / 1000);
    expect(await post(server, signed(ts), body.replace("delivered", "bounce"))).toBe(401);
    expect(await post(server, {}, body)).toBe(401);
    expect(await post(server, signed(ts - 3600), body)).toBe(401);
    expect(await post(server, signed(ts), body)).toBe(202);
    await until(() => (server.out().includes(`${Buffer.byteLength(body)} B:`) && server.out().includes("sg_event_id") ? true : undefined), "the delivery");
  } finally {
    expect(await stopLocalServer(server)).toBe(0);
  }
});

test("--var refuses a name the stack does not declare", async () => {
  await expect(startLocalServer(["webhook-proxy", "--var", "no_such_variable=1"], dir)).rejects.toThrow(/no variable no_such_variable/);
});
