/**
 * The API Gateway -> Kinesis mapping templates, proven rather than assumed:
 * the request template found in the synthesized JSON is rendered with
 * velocityjs, the result is POSTed as a PutRecord to kinesalite (started here),
 * and the record read back must hold the request body byte for byte. The
 * response templates are rendered against kinesalite's real error answers.
 */
import { request } from "node:http";
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { startFaultProxy } from "./support/fault-proxy";
import { Engine, LocalKinesis, startLocalKinesis } from "./support/local-aws";
import { Testing } from "cdktf";
import { IntegrationResponse, integrationResponses, matchResponse, renderTemplate } from "../tools/emulator/apigateway";
import type { SynthesizedStack } from "../tools/emulator/synth";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { offlineDeployment, onlyOf, Synthesized, synthesize } from "./support/synth";

const TEST_STREAM = "template-test-stream";

/** The response template of the integration response for a method status. */
const templateFor = (responses: readonly IntegrationResponse[], status: string): string | undefined =>
  responses.find((r) => r.statusCode === status)?.template;

interface KinesisAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends `document` as the body of a Kinesis PutRecord call, as API Gateway's
 * AWS integration does (awsJson 1.1, X-Amz-Target). kinesalite checks that a
 * SigV4 Authorization header is present, not its signature.
 */
function putRecordRaw(engine: Engine, document: string): Promise<KinesisAnswer> {
  const body = Buffer.from(document, "utf8");
  return new Promise((resolve, reject) => {
    const req = request(
      `${engine.endpoint}/`,
      {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "Kinesis_20131202.PutRecord",
          "x-amz-date": "20250125T000000Z",
          authorization:
            "AWS4-HMAC-SHA256 Credential=local/20250125/ap-northeast-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
          "content-length": String(body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function readRecord(kinesis: KinesisClient, shardId: string, sequenceNumber: string) {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: TEST_STREAM,
      ShardId: shardId,
      ShardIteratorType: "AT_SEQUENCE_NUMBER",
      StartingSequenceNumber: sequenceNumber,
    }),
  );
  const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
  const record = Records?.[0];
  if (!record) throw new Error(`No record at ${sequenceNumber}`);
  return record;
}

describe("kinesis-ingest request template, rendered and sent to kinesalite", () => {
  let synth: Synthesized;
  /** The synthesized stack as the replay's readers take it. */
  let stack: SynthesizedStack;
  let requestTemplate: string;
  let engine: LocalKinesis;
  let kinesis: KinesisClient;

  /** The template as API Gateway gets it: Terraform's interpolation of the stream name resolved. */
  const withStream = (streamName: string) => requestTemplate.replace("${aws_kinesis_stream.stream.name}", streamName);

  beforeAll(async () => {
    synth = synthesize(new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment: offlineDeployment }));
    stack = { id: "kinesis-ingest", dir: "", json: synth.json };
    const integration = onlyOf(synth, "aws_api_gateway_integration").body;
    requestTemplate = (integration.request_templates as Record<string, string>)["application/json"];
    engine = await startLocalKinesis();
    kinesis = engine.client;
    await kinesis.send(new CreateStreamCommand({ StreamName: TEST_STREAM, ShardCount: 1 }));
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it("names the stack's stream through a Terraform reference", () => {
    expect(requestTemplate).toContain('"StreamName": "${aws_kinesis_stream.stream.name}"');
    expect(synth.json.resource.aws_kinesis_stream.stream).toBeDefined();
    // The only Terraform interpolation in it: everything else is Velocity for API Gateway.
    expect(withStream(TEST_STREAM)).not.toContain("${");
  });

  it.each([
    ["a JSON object with unicode", JSON.stringify({ index: 1, message: "こんにちは、Kinesis 🍣 «quoted» \"escaped\" \\ back" })],
    ["text that is not JSON, with quotes and line breaks", 'plain text, "quoted"\nsecond line\ttab é 😀'],
    ["the seed client's payload", JSON.stringify({ index: 0, message: "Test message 0" })],
  ])("stores %s byte-exact", async (_name, body) => {
    const requestId = `req-${Math.random().toString(36).slice(2)}`;
    const { output } = renderTemplate(withStream(TEST_STREAM), body, requestId);
    const document = JSON.parse(output) as { StreamName: string; PartitionKey: string; Data: string };
    expect(document).toEqual({ StreamName: TEST_STREAM, PartitionKey: requestId, Data: expect.any(String) });

    const answer = await putRecordRaw(engine, output);
    expect(answer.status).toBe(200);
    const put = JSON.parse(answer.body) as { ShardId: string; SequenceNumber: string };
    // The default (2xx) integration response passes this answer through to the client.
    expect(matchResponse(integrationResponses(stack), answer.status)?.statusCode).toBe("200");

    const record = await readRecord(kinesis, put.ShardId, put.SequenceNumber);
    expect(Buffer.from(record.Data ?? new Uint8Array()).equals(Buffer.from(body, "utf8"))).toBe(true);
    expect(record.PartitionKey).toBe(requestId);
  });

  it("answers a Kinesis configuration fault (stream not found, HTTP 400) with 500 and a message, not 200", async () => {
    const { output } = renderTemplate(withStream("no-such-stream"), '{"message":"lost?"}', "req-missing");
    const answer = await putRecordRaw(engine, output);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("ResourceNotFoundException");

    const responses = integrationResponses(stack);
    const selected = matchResponse(responses, answer.status)?.statusCode;
    expect(selected).toBe("400");
    const rendered = renderTemplate(templateFor(responses, "400") ?? "", answer.body, "req-missing");
    expect(rendered.statusOverride).toBe(500);
    expect(JSON.parse(rendered.output)).toEqual({
      message: expect.stringMatching(/not stored/),
      requestId: "req-missing",
    });
  });

  it("answers a record Kinesis refuses as invalid (over 1 MiB) with 400 and a message", async () => {
    const body = "x".repeat(1024 * 1024 + 1);
    const { output } = renderTemplate(withStream(TEST_STREAM), body, "req-big");
    const answer = await putRecordRaw(engine, output);
    expect(answer.status).toBe(400);

    const responses = integrationResponses(stack);
    expect(matchResponse(responses, answer.status)?.statusCode).toBe("400");
    const rendered = renderTemplate(templateFor(responses, "400") ?? "", answer.body, "req-big");
    expect(rendered.statusOverride).toBeUndefined();
    expect(JSON.parse(rendered.output)).toEqual({ message: expect.stringMatching(/1 MiB/), requestId: "req-big" });
  });

  it("answers Kinesis write throttling (kinesalite behind the fault proxy, every call throttled) with 429 and a retry message", async () => {
    const faults = await startFaultProxy(engine, { kind: "throttle" });
    let answer: KinesisAnswer;
    try {
      const { output } = renderTemplate(withStream(TEST_STREAM), '{"message":"throttled"}', "req-throttled");
      answer = await putRecordRaw(faults, output);
    } finally {
      await faults.stop();
    }
    expect(faults.stats.throttled).toBe(1);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("ProvisionedThroughputExceededException");

    const responses = integrationResponses(stack);
    expect(matchResponse(responses, answer.status)?.statusCode).toBe("400");
    const rendered = renderTemplate(templateFor(responses, "400") ?? "", answer.body, "req-throttled");
    expect(rendered.statusOverride).toBe(429);
    expect(JSON.parse(rendered.output)).toEqual({ message: expect.stringMatching(/Retry with backoff/), requestId: "req-throttled" });
  });

  it("never selects the 200 response for a failed PutRecord: every 4xx and 5xx has its own pattern", () => {
    const responses = integrationResponses(stack);
    for (const status of [400, 403, 404, 413, 429]) expect(matchResponse(responses, status)?.statusCode).toBe("400");
    for (const status of [500, 502, 503, 504]) expect(matchResponse(responses, status)?.statusCode).toBe("500");
    expect(matchResponse(responses, 200)?.statusCode).toBe("200");
    const rendered = renderTemplate(templateFor(responses, "500") ?? "", '{"__type":"InternalFailure"}', "req-5xx");
    expect(JSON.parse(rendered.output)).toEqual({ message: expect.stringMatching(/not stored/), requestId: "req-5xx" });
  });
});
