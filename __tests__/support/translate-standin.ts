/**
 * A local HTTP stand-in for Amazon Translate: Amazon Translate has no local
 * implementation, so this node:http server speaks just enough of its JSON 1.1
 * protocol (`X-Amz-Target: AWSShineFrontendService_20170701.TranslateText`) for
 * the SDK client to call it: it answers `[<target>] <text>`. Used where a test
 * needs a real network hop to Translate (the fault tests); handler logic
 * tests stub the client with aws-sdk-client-mock instead.
 */
import * as http from "node:http";
import { type Engine, listen } from "../../tools/emulator/engines";

export interface TranslateStandIn extends Engine {
  /** TranslateText calls answered. */
  readonly calls: () => number;
}

export async function startTranslateStandIn(): Promise<TranslateStandIn> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      if (!target.endsWith(".TranslateText")) {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ __type: "InvalidRequestException", message: `unsupported ${target}` }));
        return;
      }
      calls++;
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Text: string; SourceLanguageCode: string; TargetLanguageCode: string };
      const text = JSON.stringify({
        TranslatedText: `[${input.TargetLanguageCode}] ${input.Text}`,
        SourceLanguageCode: input.SourceLanguageCode === "auto" ? "ja" : input.SourceLanguageCode,
        TargetLanguageCode: input.TargetLanguageCode,
      });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "content-length": String(Buffer.byteLength(text)) }).end(text);
    });
  });
  const engine = await listen(server);
  return { ...engine, calls: () => calls };
}
