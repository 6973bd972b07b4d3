/**
 * The media-alb handlers against dynalite (a local DynamoDB started here),
 * each request sent twice, shaped as the ALB sends it and as an API Gateway
 * HTTP API does: both must get the same answer, and every answer the seed's
 * (status, `{success, ...}` body, CORS headers whose values are all strings).
 * Also: configuration errors at start-up, internal errors, the entries themselves.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ALBEvent } from "aws-lambda";
import { loadConfig, MAX_KEY_BYTES, MediaApiConfig, parseAllowedOrigins, RESPONSE_HEADERS, serve } from "../handlers/media-alb/api";
import { ConfigError } from "../handlers/shared/env";
import { FrontDoorEvent, normalize, unquotePlus } from "../handlers/media-alb/event";
import { inputFileToJobId } from "../handlers/media-alb/job-id";
import { jobIdToStatus } from "../handlers/media-alb/status";
import type { JsonResponse } from "../handlers/shared/http";
import { albEvent, HttpRequest, httpApiEvent } from "./media-alb/local";
import { LocalDynamo, sdkEnv, startLocalDynamo } from "./support/local-aws";

const JOB_TABLE = "MediaConvertInputFileToJobId";
const STATUS_TABLE = "MediaConvertJobIdToStatus";
/** The stack's default for zone example.com (see the stack test): pages of the zone. */
const ZONE_ORIGINS = "https://([a-z0-9-]+[.])*example[.]com";

/** Every answer must be something both front doors accept and a client can read. */
function expectWellFormed(response: JsonResponse): void {
  for (const value of Object.values(response.headers)) expect(typeof value).toBe("string");
  // The seed's headers, plus the entry points' x-correlation-id (the ALB's trace root or API Gateway's request id).
  const { "x-correlation-id": correlationId, ...seed } = response.headers;
  expect(seed).toEqual(RESPONSE_HEADERS);
  if (correlationId !== undefined) expect(correlationId).toMatch(/^[\x21-\x7e]{1,128}$/);
  if (response.body === "") return;
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(typeof body.success).toBe("boolean");
  if (response.statusCode !== 200) {
    expect(body.success).toBe(false);
    expect(typeof body.message).toBe("string");
  }
}

const bodyOf = (response: JsonResponse): unknown => (response.body === "" ? "" : JSON.parse(response.body));

describe("media-alb handlers against dynalite, ALB and API Gateway events", () => {
  let dynamo: LocalDynamo;
  let config: { jobs: MediaApiConfig; statuses: MediaApiConfig };

  beforeAll(async () => {
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    dynamo = await startLocalDynamo();
    await dynamo.createTable(JOB_TABLE, "InputFile");
    await dynamo.createTable(STATUS_TABLE, "JobId");
    const jobs: [string, string][] = [
      ["Big Buck Bunny.mp4", "1737676800000-bbb001"],
      ["a+b.mp4", "1737676800000-plus01"],
      ["日本語 動画.mp4", "1737676800000-jp0001"],
    ];
    for (const [InputFile, JobId] of jobs) {
      await dynamo.doc.send(new PutCommand({ TableName: JOB_TABLE, Item: { InputFile, JobId } }));
    }
    const statuses: Record<string, unknown>[] = [
      { JobId: "c123456789012-smb6o7", JobStatus: "PROGRESSING", ProgressRate: 42 },
      {
        JobId: "job-complete",
        JobStatus: "COMPLETE",
        ProgressRate: 100,
        DurationMs: 596458,
        WidthPx: 1920,
        HeightPx: 1080,
        OutputPath: "s3://dev-media-output/Big Buck Bunny/",
        Playlists: ["Big Buck Bunny.m3u8", "Big Buck Bunny_1080p.m3u8"],
      },
      { JobId: "job-error", JobStatus: "ERROR", ProgressRate: 12, ErrorCode: 1010, ErrorMessage: "Input file is not readable" },
      { JobId: "job-decimal", JobStatus: "PROGRESSING", ProgressRate: 42.9 },
      { JobId: "job-half-written", JobStatus: "SUBMITTED" },
      { JobId: "job-set", JobStatus: "COMPLETE", ProgressRate: 100, DurationMs: 1, WidthPx: 2, HeightPx: 3, OutputPath: "s3://x/", Playlists: new Set(["only.m3u8"]) },
    ];
    for (const Item of statuses) await dynamo.doc.send(new PutCommand({ TableName: STATUS_TABLE, Item }));
    const allowedOrigins = parseAllowedOrigins(`${ZONE_ORIGINS} http://localhost:3000`);
    config = { jobs: { tableName: JOB_TABLE, allowedOrigins }, statuses: { tableName: STATUS_TABLE, allowedOrigins } };
  });

  afterAll(async () => {
    await dynamo?.stop();
  });

  /** Sends the request through both front doors; they must agree; returns the (common) answer. */
  async function both(endpoint: "jobs" | "statuses", request: HttpRequest): Promise<JsonResponse> {
    const ep = endpoint === "jobs" ? inputFileToJobId(dynamo.doc, JOB_TABLE) : jobIdToStatus(dynamo.doc, STATUS_TABLE);
    const viaAlb = await serve(albEvent(request), config[endpoint], ep);
    const viaApi = await serve(httpApiEvent(request), config[endpoint], ep);
    expectWellFormed(viaAlb);
    expectWellFormed(viaApi);
    expect(viaApi).toEqual(viaAlb);
    return viaAlb;
  }

  const jobIdCases: [string, HttpRequest, number, unknown][] = [
    ["`+` for spaces (the ALB does not decode)", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4" }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["%20 for spaces (the seed's example)", { path: "/media/job_id", rawQuery: "input_file=Big%20Buck%20Bunny.mp4" }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["an encoded `+` stays a plus", { path: "/media/job_id", rawQuery: "input_file=a%2Bb.mp4" }, 200, { success: true, job_id: "1737676800000-plus01" }],
    ["UTF-8 percent-encoding", { path: "/media/job_id", rawQuery: `input_file=${encodeURIComponent("日本語 動画.mp4")}` }, 200, { success: true, job_id: "1737676800000-jp0001" }],
    ["other parameters ignored", { path: "/media/job_id", rawQuery: "v=1&input_file=Big+Buck+Bunny.mp4" }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["OPTIONS: 200, CORS headers, empty body", { method: "OPTIONS", path: "/media/job_id" }, 200, ""],
    ["OPTIONS before the origin check (seed order)", { method: "OPTIONS", path: "/media/job_id", headers: { Origin: "https://evil.example.net" } }, 200, ""],
    ["POST: 404", { method: "POST", path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4" }, 404, { success: false, message: "No route matches." }],
    ["DELETE: 404", { method: "DELETE", path: "/media/job_id" }, 404, { success: false, message: "No route matches." }],
    ["an allowed Origin", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4", headers: { Origin: "https://www.example.com" } }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["a second allowed pattern", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4", headers: { Origin: "http://localhost:3000" } }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["an empty Origin is not checked", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4", headers: { Origin: "" } }, 200, { success: true, job_id: "1737676800000-bbb001" }],
    ["a foreign Origin: 422", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4", headers: { Origin: "https://evil.example.net" } }, 422, { success: false, message: "ORIGIN is invalid." }],
    ["full match: a look-alike Origin: 422", { path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4", headers: { Origin: "https://www.example.com.evil.net" } }, 422, { success: false, message: "ORIGIN is invalid." }],
    ["no query string: 400", { path: "/media/job_id" }, 400, { success: false, message: "Not found parameter." }],
    ["no input_file: 400", { path: "/media/job_id", rawQuery: "job_id=x" }, 400, { success: false, message: "Not found parameter input_file." }],
    ["empty input_file: 422", { path: "/media/job_id", rawQuery: "input_file=" }, 422, { success: false, message: "Not exist parameter input_file." }],
    ["no such file: 422", { path: "/media/job_id", rawQuery: "input_file=Elephants+Dream.mp4" }, 422, { success: false, message: "Not found item." }],
    ["a key longer than DynamoDB allows: 422", { path: "/media/job_id", rawQuery: `input_file=${"a".repeat(MAX_KEY_BYTES + 1)}` }, 422, { success: false, message: `Parameter input_file is longer than ${MAX_KEY_BYTES} bytes.` }],
  ];

  test.each(jobIdCases)("job_id: %s", async (_name, request, status, body) => {
    const response = await both("jobs", request);
    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).toEqual(body);
  });

  // The stored item found through dynalite by this query: the job_id case "`+` for spaces (the ALB does not decode)".
  test("`Big+Buck+Bunny.mp4` from the ALB is handed to the lookup as the key `Big Buck Bunny.mp4` (a recording lookup, no table)", async () => {
    const response = await serve(albEvent({ path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4" }), config.jobs, {
      parameter: "input_file",
      lookup: async (key) => ({ looked_up: key }),
    });
    expect(JSON.parse(response.body)).toEqual({ success: true, looked_up: "Big Buck Bunny.mp4" });
  });

  test("an ALB value that is not valid percent-encoding: 400, not a crash", async () => {
    for (const raw of ["%E0%A4%A", "%zz", "100%"]) {
      const response = await serve(albEvent({ path: "/media/job_id", rawQuery: `input_file=${raw}` }), config.jobs, inputFileToJobId(dynamo.doc, JOB_TABLE));
      expectWellFormed(response);
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({ success: false, message: "Parameter input_file is not valid URL encoding." });
    }
  });

  test("a repeated parameter: the last value counts behind both front doors (the project's one rule)", async () => {
    const request = { path: "/media/job_id", rawQuery: "input_file=x&input_file=Big+Buck+Bunny.mp4" };
    const ep = inputFileToJobId(dynamo.doc, JOB_TABLE);
    const viaAlb = await serve(albEvent(request), config.jobs, ep);
    const viaApi = await serve(httpApiEvent(request), config.jobs, ep);
    expect(viaAlb.statusCode).toBe(200);
    expect(viaApi.statusCode).toBe(200); // API Gateway's joined "x,Big Buck Bunny.mp4" is not looked up
    expect(JSON.parse(viaApi.body)).toEqual(JSON.parse(viaAlb.body));
  });

  const statusCases: [string, HttpRequest, number, unknown][] = [
    ["in progress", { path: "/media/status", rawQuery: "job_id=c123456789012-smb6o7" }, 200, { success: true, job_status: "PROGRESSING", progress_rate: 42 }],
    [
      "COMPLETE: output details",
      { path: "/media/status", rawQuery: "job_id=job-complete" },
      200,
      {
        success: true,
        job_status: "COMPLETE",
        progress_rate: 100,
        duration_ms: 596458,
        width_px: 1920,
        height_px: 1080,
        output_path: "s3://dev-media-output/Big Buck Bunny/",
        playlists: ["Big Buck Bunny.m3u8", "Big Buck Bunny_1080p.m3u8"],
      },
    ],
    ["ERROR: code and message", { path: "/media/status", rawQuery: "job_id=job-error" }, 200, { success: true, job_status: "ERROR", progress_rate: 12, error_code: 1010, error_message: "Input file is not readable" }],
    ["numbers truncated like Python's int()", { path: "/media/status", rawQuery: "job_id=job-decimal" }, 200, { success: true, job_status: "PROGRESSING", progress_rate: 42 }],
    ["a half-written item: null, not a 500", { path: "/media/status", rawQuery: "job_id=job-half-written" }, 200, { success: true, job_status: "SUBMITTED", progress_rate: null }],
    ["a string set of playlists: a JSON array", { path: "/media/status", rawQuery: "job_id=job-set" }, 200, { success: true, job_status: "COMPLETE", progress_rate: 100, duration_ms: 1, width_px: 2, height_px: 3, output_path: "s3://x/", playlists: ["only.m3u8"] }],
    ["OPTIONS", { method: "OPTIONS", path: "/media/status" }, 200, ""],
    ["PUT: 404", { method: "PUT", path: "/media/status", rawQuery: "job_id=job-complete" }, 404, { success: false, message: "No route matches." }],
    ["a foreign Origin: 422", { path: "/media/status", rawQuery: "job_id=job-complete", headers: { origin: "https://example.org" } }, 422, { success: false, message: "ORIGIN is invalid." }],
    ["no query string: 400", { path: "/media/status" }, 400, { success: false, message: "Not found parameter." }],
    ["no job_id: 400", { path: "/media/status", rawQuery: "input_file=a.mp4" }, 400, { success: false, message: "Not found parameter job_id." }],
    ["empty job_id: 422", { path: "/media/status", rawQuery: "job_id=" }, 422, { success: false, message: "Not exist parameter job_id." }],
    ["no such job: 422", { path: "/media/status", rawQuery: "job_id=c000000000000-none00" }, 422, { success: false, message: "Not found item." }],
  ];

  test.each(statusCases)("status: %s", async (_name, request, status, body) => {
    const response = await both("statuses", request);
    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).toEqual(body);
  });

  test("DynamoDB failing (no such table): 500 with a generic message, nothing of the error leaked", async () => {
    const response = await serve(albEvent({ path: "/media/status", rawQuery: "job_id=x" }), config.statuses, jobIdToStatus(dynamo.doc, "no-such-table"));
    expectWellFormed(response);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ success: false, message: "Internal server error." });
  });

  test("an event from neither front door (REST API v1, garbage): 400", async () => {
    const endpoint = inputFileToJobId(dynamo.doc, JOB_TABLE);
    const events = [
      { httpMethod: "GET", requestContext: { stage: "prod" }, queryStringParameters: { input_file: "a" } },
      {},
      null,
    ] as unknown as FrontDoorEvent[];
    for (const event of events) {
      const response = await serve(event, config.jobs, endpoint);
      expectWellFormed(response);
      expect(response.statusCode).toBe(400);
    }
  });
});

describe("media-alb event normalisation", () => {
  test("method from httpMethod (ALB) or requestContext.http.method (API Gateway), upper-cased", () => {
    expect(normalize(albEvent({ method: "get", path: "/" })).method).toBe("GET");
    expect(normalize(httpApiEvent({ method: "OPTIONS", path: "/" })).method).toBe("OPTIONS");
    expect(normalize(albEvent({ path: "/" })).frontDoor).toBe("alb");
    expect(normalize(httpApiEvent({ path: "/" })).frontDoor).toBe("api-gateway");
  });

  test("no query string is the same for both: ALB's {} and API Gateway's missing field", () => {
    expect(normalize(albEvent({ path: "/" })).rawQuery).toBeUndefined();
    expect(normalize(httpApiEvent({ path: "/" })).rawQuery).toBeUndefined();
  });

  test("ALB query keys are decoded too", () => {
    const event: ALBEvent = albEvent({ path: "/", rawQuery: "input%5Ffile=a" });
    expect(normalize(event).rawQuery?.get("input_file")).toBe("a");
  });

  test("unquotePlus is Python's unquote_plus, without throwing", () => {
    expect(unquotePlus("Big+Buck+Bunny.mp4")).toBe("Big Buck Bunny.mp4");
    expect(unquotePlus("a%2Bb%20c")).toBe("a+b c");
    expect(unquotePlus("%E6%97%A5")).toBe("日");
    expect(unquotePlus("%E6%97")).toBeUndefined();
  });
});

describe("media-alb configuration", () => {
  test("ALLOWED_ORIGINS: space-separated patterns, each a full match", () => {
    const patterns = parseAllowedOrigins("  https://a\\.com\thttps://(www\\.)?b\\.com  ");
    expect(patterns).toHaveLength(2);
    const allowed = (origin: string) => patterns.some((p) => p.test(origin));
    expect(allowed("https://a.com")).toBe(true);
    expect(allowed("https://www.b.com")).toBe(true);
    expect(allowed("https://a.com.evil.net")).toBe(false);
    expect(allowed("http://a.com")).toBe(false);
    expect(allowed("xhttps://a.com")).toBe(false);
    // An alternation inside one pattern is still anchored as a whole.
    const [alternation] = parseAllowedOrigins("https://a\\.com|https://c\\.com");
    expect(alternation.test("https://c.com")).toBe(true);
    expect(alternation.test("https://a.com.evil.net")).toBe(false);
  });

  test("the stack's default (the zone's pages) for example.com", () => {
    const [zone] = parseAllowedOrigins(ZONE_ORIGINS);
    for (const ok of ["https://example.com", "https://www.example.com", "https://a.b.example.com"]) expect(zone.test(ok)).toBe(true);
    for (const bad of ["http://example.com", "https://example.com.evil.net", "https://evilexample.com", "https://x.example.comm"]) {
      expect(zone.test(bad)).toBe(false);
    }
  });

  test("an empty ALLOWED_ORIGINS allows no Origin (requests without one still pass)", () => {
    expect(parseAllowedOrigins("")).toEqual([]);
  });

  test("a malformed pattern is a ConfigError naming it", () => {
    expect(() => parseAllowedOrigins("https://ok\\.com ([a-z")).toThrow(ConfigError);
    expect(() => parseAllowedOrigins("https://ok\\.com ([a-z")).toThrow(/ALLOWED_ORIGINS pattern 2 "\(\[a-z" is not a valid regular expression/);
  });

  test("unset variables are ConfigErrors", () => {
    expect(() => loadConfig({ TABLE_NAME: "t" })).toThrow(/ALLOWED_ORIGINS is not set/);
    expect(() => loadConfig({ ALLOWED_ORIGINS: "" })).toThrow(/TABLE_NAME is not set/);
    expect(loadConfig({ TABLE_NAME: "t", ALLOWED_ORIGINS: "https://a\\.com" })).toMatchObject({ tableName: "t" });
  });
});

describe("media-alb Lambda entries (module-scope client and configuration)", () => {
  let dynamo: LocalDynamo;
  const saved = { ...process.env };

  beforeAll(async () => {
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    dynamo = await startLocalDynamo();
    await dynamo.createTable("entry-jobs", "InputFile");
    await dynamo.createTable("entry-statuses", "JobId");
    await dynamo.doc.send(new PutCommand({ TableName: "entry-jobs", Item: { InputFile: "Big Buck Bunny.mp4", JobId: "job-1" } }));
    await dynamo.doc.send(new PutCommand({ TableName: "entry-statuses", Item: { JobId: "job-1", JobStatus: "PROGRESSING", ProgressRate: 5 } }));
  });

  afterAll(async () => {
    process.env = saved;
    await dynamo?.stop();
  });

  type Entry = { handler: (event: FrontDoorEvent) => Promise<JsonResponse> };
  function loadEntry(path: string, env: Record<string, string>): Entry {
    process.env = {
      ...saved,
      // The SDK's own service-specific endpoint variable (AWS_ENDPOINT_URL_DYNAMODB): the entry needs no test hook.
      ...sdkEnv({ dynamodb: dynamo }),
      ...env,
    };
    let entry: Entry | undefined;
    jest.isolateModules(() => {
      entry = require(path) as Entry;
    });
    return entry as Entry;
  }

  test("mediaConvertInputFileToJobIdApi answers an ALB request from its table", async () => {
    const { handler } = loadEntry("../handlers/media-alb/input-file-to-job-id", { TABLE_NAME: "entry-jobs", ALLOWED_ORIGINS: ZONE_ORIGINS });
    const response = await handler(albEvent({ path: "/media/job_id", rawQuery: "input_file=Big+Buck+Bunny.mp4" }));
    expectWellFormed(response);
    expect(JSON.parse(response.body)).toEqual({ success: true, job_id: "job-1" });
  });

  test("mediaConvertJobIdToStatusApi answers an API Gateway request from its table", async () => {
    const { handler } = loadEntry("../handlers/media-alb/job-id-to-status", { TABLE_NAME: "entry-statuses", ALLOWED_ORIGINS: ZONE_ORIGINS });
    const response = await handler(httpApiEvent({ path: "/media/status", rawQuery: "job_id=job-1", headers: { origin: "https://example.com" } }));
    expectWellFormed(response);
    expect(JSON.parse(response.body)).toEqual({ success: true, job_status: "PROGRESSING", progress_rate: 5 });
  });

  test.each(["../handlers/media-alb/input-file-to-job-id", "../handlers/media-alb/job-id-to-status"])(
    "%s: a malformed ALLOWED_ORIGINS is a logged config_error and a 500 in the seed's body, not an init crash",
    async (path) => {
      const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
      const { handler } = loadEntry(path, { TABLE_NAME: "entry-jobs", ALLOWED_ORIGINS: "https://ok\\.com *bad" });
      const response = await handler(albEvent({ path: "/media/job_id", rawQuery: "input_file=a.mp4" }));
      expectWellFormed(response);
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({ success: false, message: "Internal server error." });
      expect(error).toHaveBeenCalledWith(expect.stringMatching(/ALLOWED_ORIGINS pattern 2 \\"\*bad\\" is not a valid regular expression.*"event":"config_error"/));
      error.mockRestore();
    },
  );
});
