/**
 * SQS's message-content rule in front of the local SQS engine. local-aws-sqs
 * 2.0.2 accepts any message body; real SQS answers `SendMessage` with
 * `InvalidMessageContents` (HTTP 400) when the body holds a character outside
 * #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (SQS
 * Developer Guide, "Amazon SQS message quotas"). This proxy applies that rule
 * to `SendMessage` (JSON protocol) and passes everything else, and every
 * accepted message, to the engine unchanged.
 */
import * as http from "node:http";
import { type Engine, listen, readBody } from "../../tools/emulator/engines";
import { forward } from "../../tools/emulator/fault-proxy";

/** Characters SQS refuses in a message body. */
export const REFUSED_BY_SQS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface StrictSqsOptions {
  /** Refuse further bodies as SQS would refuse a character it does not allow (a refusal the sender cannot foresee). @default none */
  readonly alsoRefuse?: (body: string) => boolean;
}

export interface StrictSqs extends Engine {
  /** SendMessage calls refused with InvalidMessageContents. */
  readonly stats: { refused: number };
  /** A queue URL of the engine, as the same queue reached through this proxy. */
  via(queueUrl: string): string;
}

export async function startStrictSqs(backend: Engine, options: StrictSqsOptions = {}): Promise<StrictSqs> {
  const target = new URL(backend.endpoint);
  const stats = { refused: 0 };
  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.headers["x-amz-target"] === "AmazonSQS.SendMessage") {
        const { MessageBody } = JSON.parse(body.toString("utf8")) as { MessageBody?: unknown };
        const text = typeof MessageBody === "string" ? MessageBody : "";
        const refused = REFUSED_BY_SQS.exec(text);
        if (refused || options.alsoRefuse?.(text)) {
          stats.refused++;
          const where = refused ? `'#x${(refused[0].codePointAt(0) ?? 0).toString(16).toUpperCase()}'` : "";
          const answer = JSON.stringify({
            __type: "com.amazonaws.sqs#InvalidMessageContents",
            message: `Invalid binary character ${where} was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`,
          });
          res
            .writeHead(400, {
              "content-type": "application/x-amz-json-1.0",
              "content-length": String(Buffer.byteLength(answer)),
              "x-amzn-query-error": "InvalidMessageContents;Sender",
            })
            .end(answer);
          return;
        }
      }
      forward(target, req, body, res);
    });
  });
  const engine = await listen(server);
  return { ...engine, stats, via: (queueUrl) => `${engine.endpoint}${new URL(queueUrl).pathname}` };
}
