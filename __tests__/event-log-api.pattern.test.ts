/**
 * `EventLogApi` as a user composes it: in a plain TerraformStack of their own, with
 * no props, twice side by side, on a table they already have, on a domain of theirs,
 * and with each kind of requester (the seed's user, a role, none).
 */
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { EventLogApi, EventLogApiProps } from "../patterns/event-log-api";
import { Block, blocksOf, findOne, PolicyStatement, StackJson, statementsOf, Synthesized, synthesize } from "./support/synth";
import { userStack, physicalNames, expectSelfContained } from "./support/patterns";

function synthPattern(props?: EventLogApiProps): Synthesized {
  const stack = userStack();
  new EventLogApi(stack, "events", props);
  return synthesize(stack);
}

/** Stage names are unique per API, not per account: `$default` in every HTTP API. */
const NAMED_WITHIN_PARENT = new Set(["aws_apigatewayv2_stage"]);

/** How many blocks of each resource type. */
function countsByType(json: StackJson): Record<string, number> {
  return Object.fromEntries(Object.entries(json.resource).map(([type, blocks]) => [type, Object.keys(blocks).length]));
}

/** The statements of the policy document whose address contains `part`. */
function documentStatements(s: Synthesized, part: string): PolicyStatement[] {
  return findOne(s, "aws_iam_policy_document", (_body, name) => name.includes(part), "data").body.statement as PolicyStatement[];
}

const table = { name: "events", arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/events" };

describe("EventLogApi with no props in a plain stack", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPattern();
  });

  test("synthesizes with the user's provider only: no provider, backend, variable or output of its own", () => {
    expectSelfContained(s.json);
  });

  test("names everything from the construct path (mine-events-...), settings as literal values", () => {
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
      name: "mine-events-EventLog",
      billing_mode: "PROVISIONED",
      read_capacity: 1,
      write_capacity: 1,
      deletion_protection_enabled: true,
    });
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { function_name: "mine-events-log-events" });
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Stage, {
      default_route_settings: { throttling_rate_limit: 10, throttling_burst_limit: 20 },
    });
    expect(physicalNames(s.json, NAMED_WITHIN_PARENT).filter((name) => !name.includes("mine-events-"))).toEqual([]);
  });

  test("no custom domain (a host name has no default): execute-api on, no certificate or zone lookup", () => {
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Api, { name: "mine-events-log-events-http-api", disable_execute_api_endpoint: false });
    expect(blocksOf(s, "aws_acm_certificate")).toEqual([]);
    expect(blocksOf(s, "aws_route53_zone", "data")).toEqual([]);
  });

  test("the seed's requester by default: an IAM user holding the policy on exactly the two routes", () => {
    expect(s.text).toHaveResourceWithProperties(IamUser, { name: "mine-events-api-gateway-log-event-requester" });
    const attachment = blocksOf(s, "aws_iam_user_policy_attachment");
    expect(attachment).toHaveLength(1);
    const [policy] = blocksOf(s, "aws_iam_policy").filter((p) => p.name === "mine-events-api-gateway-log-event-requester-policy");
    expect(statementsOf(s, policy.policy)[0].resources).toEqual([
      expect.stringMatching(/\/\*\/GET\/events$/),
      expect.stringMatching(/\/\*\/POST\/events$/),
    ]);
    expect(blocksOf(s, "aws_iam_role").map((role) => role.name)).toEqual(["mine-events-event-log-log-events-lambda-function-role"]);
  });
});

describe("two EventLogApi in one stack", () => {
  test("never collide: distinct physical names and alarm names, every resource twice, none merged", () => {
    const single = countsByType(synthPattern().json);
    const stack = userStack();
    new EventLogApi(stack, "events");
    new EventLogApi(stack, "audit", { namePrefix: "audit" });
    const { json } = synthesize(stack);
    const names = physicalNames(json, NAMED_WITHIN_PARENT);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["aws_dynamodb_table:mine-events-EventLog", "aws_dynamodb_table:audit-EventLog"]));
    expect(countsByType(json)).toEqual(Object.fromEntries(Object.entries(single).map(([type, n]) => [type, 2 * n])));
    const permissions = blocksOf(json, "aws_lambda_permission").map((p) => p.function_name);
    expect(new Set(permissions).size).toBe(2);
  });

  test("declare their variables under their own prefixes when asked", () => {
    const stack = userStack();
    new EventLogApi(stack, "events", { variables: { prefix: "events_" } });
    new EventLogApi(stack, "audit", { variables: { prefix: "audit_" } });
    const variables = synthesize(stack).json.variable;
    expect(Object.keys(variables).sort()).toEqual(
      ["throttling_rate_limit", "throttling_burst_limit", "table_deletion_protection", "tracing"].flatMap((n) => [`events_${n}`, `audit_${n}`]).sort(),
    );
    expect(variables.events_throttling_rate_limit).toMatchObject({ type: "number", default: 10 });
  });
});

describe("EventLogApi on a table the user has", () => {
  test("creates none, and grants on the given ARN only", () => {
    const s = synthPattern({ existingTable: table });
    expect(blocksOf(s, "aws_dynamodb_table")).toEqual([]);
    expect(documentStatements(s, "handler_policy_document").find((st) => st.sid === "ReadWriteEventLog")?.resources).toEqual([table.arn]);
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { environment: { variables: expect.objectContaining({ TABLE_NAME: table.name }) } });
  });

  test("refuses an existing table together with settings of a new one, naming both", () => {
    expect(() => new EventLogApi(userStack(), "events", { existingTable: table, tableProps: { billingMode: "PAY_PER_REQUEST" } })).toThrow(
      "mine/events: either existingTable or tableProps, not both.",
    );
    expect(() => new EventLogApi(userStack(), "events", { existingTable: table, writeCapacity: 5 })).toThrow(
      "mine/events: either existingTable or writeCapacity, not both.",
    );
  });
});

describe("EventLogApi table settings", () => {
  test("overrides merge over the defaults: the user's value wins, the secure defaults stay", () => {
    const s = synthPattern({ tableProps: { readCapacity: 4, tags: { team: "audit" } }, writeCapacity: 2 });
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
      billing_mode: "PROVISIONED",
      read_capacity: 4,
      write_capacity: 2,
      tags: { team: "audit" },
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
  });

  test("on demand: no capacity set; a capacity given with it is refused, as is one below 1", () => {
    const table = blocksOf(synthPattern({ tableProps: { billingMode: "PAY_PER_REQUEST" } }), "aws_dynamodb_table")[0];
    expect(table.billing_mode).toBe("PAY_PER_REQUEST");
    expect(table).not.toHaveProperty("read_capacity");
    expect(table).not.toHaveProperty("write_capacity");
    expect(() => synthPattern({ tableProps: { billingMode: "PAY_PER_REQUEST" }, readCapacity: 5 })).toThrow(
      "mine/events: readCapacity is for a PROVISIONED table; the table is PAY_PER_REQUEST (leave readCapacity out).",
    );
    expect(() => synthPattern({ writeCapacity: 0.5 })).toThrow("mine/events: writeCapacity must be a whole number >= 1, got 0.5.");
  });
});

describe("EventLogApi on a domain of the user's", () => {
  const customDomain = { domainName: "events.example.com", zoneName: "example.com" };

  test("certificate, domain and record for the host, zone looked up by name, execute-api off", () => {
    const s = synthPattern({ customDomain });
    expect(s.text).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "example.com", private_zone: false });
    expect(s.text).toHaveResourceWithProperties(AcmCertificate, { domain_name: "events.example.com" });
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2DomainName, { domain_name: "events.example.com" });
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Api, { disable_execute_api_endpoint: true });
  });

  test("a given zone id and certificate replace the lookup and the request", () => {
    const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";
    const s = synthPattern({ customDomain: { ...customDomain, certificate: { kind: "existing", certificateArn } }, hostedZoneId: "Z123" });
    expect(blocksOf(s, "aws_route53_zone", "data")).toEqual([]);
    expect(blocksOf(s, "aws_acm_certificate")).toEqual([]);
    expect(blocksOf(s, "aws_route53_record").map((r) => r.zone_id)).toEqual(["Z123"]);
    expect((blocksOf(s, "aws_apigatewayv2_domain_name")[0].domain_name_configuration as Block).certificate_arn).toBe(certificateArn);
  });
});

describe("EventLogApi requester", () => {
  const trusted = ["arn:aws:iam::123456789012:role/reporting", "arn:aws:iam::210987654321:root"];

  test("as a role: trusted principals may assume it, the policy is attached to it, no user", () => {
    const stack = userStack();
    const pattern = new EventLogApi(stack, "events", { requester: { role: { trustedPrincipalArns: trusted, maxSessionDuration: 7200 } } });
    const s = synthesize(stack);
    expect(pattern.requesterUser).toBeUndefined();
    expect(blocksOf(s, "aws_iam_user")).toEqual([]);
    expect(blocksOf(s, "aws_iam_user_policy_attachment")).toEqual([]);
    expect(s.text).toHaveResourceWithProperties(IamRole, { name: "mine-events-api-gateway-log-event-requester", max_session_duration: 7200 });
    expect(documentStatements(s, "requester_role_trust")).toEqual([
      { sid: "TrustedCallersAssume", actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: trusted }] },
    ]);
    const role = pattern.requesterRole?.friendlyUniqueId;
    const attachments = blocksOf(s, "aws_iam_role_policy_attachment").filter((a) => a.role === `\${aws_iam_role.${role}.name}`);
    expect(attachments.map((a) => a.policy_arn)).toEqual([`\${aws_iam_policy.${pattern.requesterPolicy.friendlyUniqueId}.arn}`]);
  });

  test("none: the policy alone, to attach to the user's own principals", () => {
    const s = synthPattern({ requester: "none" });
    expect(blocksOf(s, "aws_iam_policy").map((p) => p.name)).toContain("mine-events-api-gateway-log-event-requester-policy");
    expect(blocksOf(s, "aws_iam_user")).toEqual([]);
    expect(blocksOf(s, "aws_iam_role")).toHaveLength(1); // the function's
  });

  test("refuses a role nobody or anybody could assume, and a session IAM would refuse", () => {
    expect(() => synthPattern({ requester: { role: { trustedPrincipalArns: [] } } })).toThrow(
      "mine/events: requester.role.trustedPrincipalArns is empty: name at least one principal that may assume the role.",
    );
    expect(() => synthPattern({ requester: { role: { trustedPrincipalArns: ["*"] } } })).toThrow(
      'mine/events: requester.role.trustedPrincipalArns: "*" is not an IAM principal ARN',
    );
    expect(() => synthPattern({ requester: { role: { trustedPrincipalArns: trusted, maxSessionDuration: 60 } } })).toThrow(
      "mine/events: requester.role.maxSessionDuration must be a whole number of seconds in 3600..43200, got 60.",
    );
  });
});
