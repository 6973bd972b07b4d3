/**
 * Security review (issue 20), the API side of each stack: an API served on a
 * custom domain (TLS 1.2) turns its default execute-api endpoint off; the REST
 * API stacks take an optional custom domain (off by default); every table is
 * protected from deletion by a variable that defaults to true.
 */
import { Testing, TerraformStack } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { ApiGatewayBasePathMapping } from "@cdktf/provider-aws/lib/api-gateway-base-path-mapping";
import { ApiGatewayDomainName } from "@cdktf/provider-aws/lib/api-gateway-domain-name";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { offlineLookups } from "../config";
import { EventLogApiStack } from "../stacks/event-log-api";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { TranslateApiStack } from "../stacks/translate-api";
import { WebhookProxyStack } from "../stacks/webhook-proxy";
import { suppliedDeployment, synthesize } from "./support/synth";

const deployment = suppliedDeployment;
const domain = { domainName: "api.example.com", zoneName: "example.com" };

describe.each([
  ["kinesis-ingest", (props: { customDomain?: typeof domain }, e = deployment): TerraformStack => new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment: e, ...props })],
  ["translate-api", (props: { customDomain?: typeof domain }, e = deployment): TerraformStack => new TranslateApiStack(Testing.app(), "translate-api", { deployment: e, ...props })],
])("%s (REST API)", (_name, build) => {
  const off = synthesize(build({}));
  const on = synthesize(build({ customDomain: domain }));

  test("by default: no custom domain, the execute-api endpoint stays on", () => {
    expect(off.text).not.toHaveResource(ApiGatewayDomainName);
    expect(off.text).toHaveResourceWithProperties(ApiGatewayRestApi, { disable_execute_api_endpoint: false });
  });

  test("with a custom domain: regional, TLS 1.2, mapped at the root, alias record; execute-api off", () => {
    expect(on.text).toHaveResourceWithProperties(ApiGatewayDomainName, {
      domain_name: "api.example.com",
      security_policy: "TLS_1_2",
      endpoint_configuration: { types: ["REGIONAL"] },
    });
    expect(on.text).toHaveResourceWithProperties(ApiGatewayBasePathMapping, { api_id: "${aws_api_gateway_rest_api.api.id}" });
    expect(on.text).toHaveResourceWithProperties(Route53Record, { type: "A", zone_id: offlineLookups.hostedZoneId });
    expect(on.text).toHaveResource(AcmCertificate);
    expect(on.text).toHaveResourceWithProperties(ApiGatewayRestApi, { disable_execute_api_endpoint: true });
    expect(on.json.output.custom_domain_url?.value).toMatch(/^https:\/\/\$\{aws_api_gateway_domain_name\./);
  });

  test("without a supplied zone id, the zone is looked up by name", () => {
    const live = Testing.synth(build({ customDomain: domain }, { ...deployment, lookups: {} }));
    expect(live).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "example.com" });
  });

  test("its table is protected from deletion (variable, default true)", () => {
    expect(off.text).toHaveResourceWithProperties(DynamodbTable, { deletion_protection_enabled: "${var.table_deletion_protection}" });
    expect(off.json.variable.table_deletion_protection?.default).toBe(true);
  });
});

describe("HTTP APIs", () => {
  test("event-log-api: execute-api off with its custom domain (the default), on without", () => {
    const withDomain = Testing.synth(new EventLogApiStack(Testing.app(), "event-log-api", { deployment }));
    const without = Testing.synth(new EventLogApiStack(Testing.app(), "event-log-api", { deployment, customDomain: false }));
    expect(withDomain).toHaveResourceWithProperties(Apigatewayv2Api, { disable_execute_api_endpoint: true });
    expect(without).toHaveResourceWithProperties(Apigatewayv2Api, { disable_execute_api_endpoint: false });
    expect(withDomain).toHaveResourceWithProperties(DynamodbTable, { deletion_protection_enabled: "${var.table_deletion_protection}" });
  });

  test("webhook-proxy: always on its custom domain, execute-api off", () => {
    const synth = Testing.synth(new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment }));
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Api, { disable_execute_api_endpoint: true });
  });
});
