/**
 * Local stand-ins for what has no local engine:
 * - Amazon Translate's JSON protocol (`AWSShineFrontendService_20170701.TranslateText`)
 *   answering a deterministic PSEUDO-translation: the text, marked with the
 *   language pair, not a translation. `auto` is "detected" as ja when the text
 *   holds Japanese script, else en.
 * - an echo upstream for webhook-proxy that logs what it receives and answers
 *   200, or a share of requests 500 (`--fault upstream-fail=R`).
 */
import * as http from "node:http";
import { type Engine, listen, readBody } from "../emulator/engines";

export const PSEUDO_TRANSLATION_LABEL = "[local pseudo-translation]";

export function pseudoTranslate(text: string, source: string, target: string): { text: string; source: string } {
  const detected = source === "auto" ? (/[\u3040-\u30ff\u4e00-\u9fff]/.test(text) ? "ja" : "en") : source;
  return { text: `${PSEUDO_TRANSLATION_LABEL} ${detected}->${target}: ${text}`, source: detected };
}

export async function startTranslateStandIn(): Promise<Engine> {
  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
      };
      if (target !== "AWSShineFrontendService_20170701.TranslateText") {
        send(400, { __type: "UnknownOperationException", message: `${target} is not served by the local Translate stand-in` });
        return;
      }
      let input: { Text?: unknown; SourceLanguageCode?: unknown; TargetLanguageCode?: unknown };
      try {
        input = JSON.parse(body.toString("utf8")) as typeof input;
      } catch {
        send(400, { __type: "SerializationException", message: "body is not JSON" });
        return;
      }
      if (typeof input.Text !== "string" || typeof input.SourceLanguageCode !== "string" || typeof input.TargetLanguageCode !== "string") {
        send(400, { __type: "ValidationException", message: "Text, SourceLanguageCode and TargetLanguageCode are required" });
        return;
      }
      const out = pseudoTranslate(input.Text, input.SourceLanguageCode, input.TargetLanguageCode);
      send(200, { TranslatedText: out.text, SourceLanguageCode: out.source, TargetLanguageCode: input.TargetLanguageCode });
    });
  });
  return listen(server);
}

export async function startEchoUpstream(log: (line: string) => void, failRate: number, random: () => number): Promise<Engine> {
  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const fail = random() < failRate;
      const shown = body.toString("utf8").slice(0, 200).replace(/\s+/g, " ");
      log(`  upstream <- ${req.method} ${req.url} ${String(req.headers["content-type"] ?? "")} ${body.length} B: ${shown}${fail ? "  -> 500 (fault upstream-fail)" : ""}`);
      res.writeHead(fail ? 500 : 200, { "content-type": "text/plain" }).end(fail ? "injected failure" : "ok");
    });
  });
  return listen(server);
}
