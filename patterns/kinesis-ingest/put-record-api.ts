/**
 * kinesis-ingest's front half: a REST API that writes each POST body into the stream
 * (AWS integration, base64 mapping template, no Lambda in the request path).
 * A function, not a construct: its resources sit directly in the pattern, at the
 * addresses the stack had before the pattern existed.
 */
import { Fn, ITerraformDependable, Token } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { CallerAuth, methodAuthorization } from "../../blocks/api-key-clients";
import { Pattern } from "../../blocks/pattern";
import { CLIENT_ERROR_TEMPLATE, PUT_RECORD_REQUEST_TEMPLATE, SERVER_ERROR_TEMPLATE } from "./templates";
import { StreamRef } from "../../blocks/references";

export interface PutRecordApi {
  readonly api: ApiGatewayRestApi;
  readonly method: ApiGatewayMethod;
  /** The role API Gateway assumes to call PutRecord on the stream only. */
  readonly role: IamRole;
  readonly deployment: ApiGatewayDeployment;
}

export function putRecordApi(
  pattern: Pattern,
  props: { readonly stream: StreamRef; readonly callerAuth: CallerAuth; readonly customDomain: boolean },
): PutRecordApi {
  const api = new ApiGatewayRestApi(pattern, "api", {
    name: pattern.name("kinesis-sample-api"),
    description: "API connected to Kinesis Data Streams",
    // Fix: off with a custom domain (the rule: blocks/api-custom-domain.ts).
    disableExecuteApiEndpoint: props.customDomain,
  });
  const method = new ApiGatewayMethod(pattern, "method", {
    restApiId: api.id,
    resourceId: api.rootResourceId,
    httpMethod: "POST",
    // Fix: the seed's `authorization = "NONE"` let anyone fill the stream; callers are identified (callerAuth).
    ...methodAuthorization(props.callerAuth),
  });

  // The role API Gateway assumes to call Kinesis.
  const apiTrust = new DataAwsIamPolicyDocument(pattern, "api_trust", {
    statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] }],
  });
  const role = new IamRole(pattern, "api_role", { name: pattern.name("apigw_kinesis_role"), assumeRolePolicy: apiTrust.json });
  const apiPolicyDocument = new DataAwsIamPolicyDocument(pattern, "api_role_policy_document", {
    statement: [{ actions: ["kinesis:PutRecord"], resources: [props.stream.arn] }],
  });
  const apiRolePolicy = new IamRolePolicy(pattern, "api_role_policy", {
    name: pattern.name("apigw_kinesis_role_policy"),
    role: role.id,
    policy: apiPolicyDocument.json,
  });

  // API Gateway -> Kinesis PutRecord.
  const integration = new ApiGatewayIntegration(pattern, "integration", {
    restApiId: api.id,
    resourceId: api.rootResourceId,
    httpMethod: method.httpMethod,
    integrationHttpMethod: "POST",
    type: "AWS",
    uri: `arn:aws:apigateway:${pattern.regionName}:kinesis:action/PutRecord`,
    credentials: role.arn,
    // Kinesis takes the record as base64 (`Data`); sent as raw JSON it answers 400 (the seed's lesson).
    requestTemplates: { "application/json": PUT_RECORD_REQUEST_TEMPLATE(props.stream.name) },
    // Fix: a body in another content type is refused (415) instead of being passed to Kinesis unmapped,
    // where it could only fail. Clients send `Content-Type: application/json`, as the seed's client does.
    passthroughBehavior: "NEVER",
    // The role must be allowed to PutRecord before the first request goes through.
    dependsOn: [apiRolePolicy],
  });

  // Every method and integration response of POST /: the same API, resource and method.
  const onMethod = { restApiId: api.id, resourceId: api.rootResourceId, httpMethod: method.httpMethod };
  const methodResponse = (statusCode: string, model: "Empty" | "Error") =>
    new ApiGatewayMethodResponse(pattern, `method_response_${statusCode}`, { ...onMethod, statusCode, responseModels: { "application/json": model } });
  const integrationResponse = (
    status: string,
    to: { response: ApiGatewayMethodResponse; selectionPattern: string; template: string; dependsOn: ITerraformDependable[] },
  ) =>
    new ApiGatewayIntegrationResponse(pattern, `integration_response_${status}`, {
      ...onMethod,
      statusCode: to.response.statusCode,
      selectionPattern: to.selectionPattern,
      responseTemplates: { "application/json": to.template },
      dependsOn: to.dependsOn,
    });

  // 200: PutRecord succeeded; the body is Kinesis's answer ({ SequenceNumber, ShardId }), as in the seed.
  const ok = methodResponse("200", "Empty");
  // Fix: every status is declared before its integration response refers to it (the seed leaves that
  // order to chance), and Kinesis 4xx and 5xx each have a pattern, so the empty default pattern of the
  // 200 response only ever catches 2xx: no failed PutRecord reaches the client as 200.
  const okIntegration = integrationResponse("200", { response: ok, selectionPattern: "", template: "", dependsOn: [integration] });
  const clientError = methodResponse("400", "Error");
  // Statuses the 4xx template sets with $context.responseOverride.status (Kinesis throttling and
  // configuration faults also come back as 400); declared so the API's contract lists them.
  const throttled = methodResponse("429", "Error");
  const serverError = methodResponse("500", "Error");
  // Fix: the seed answers every Kinesis 4xx as an empty 400. Throttling (Kinesis answers it 400) becomes
  // 429 so clients back off and retry; a stream or key fault becomes 500 (the API's fault, and alarmed).
  const clientErrorIntegration = integrationResponse("400", {
    response: clientError,
    selectionPattern: "4\\d{2}",
    template: CLIENT_ERROR_TEMPLATE,
    dependsOn: [integration, throttled, serverError],
  });
  // Fix (missing in the seed): Kinesis 5xx (InternalFailure, ServiceUnavailable) -> 500 with a message.
  const serverErrorIntegration = integrationResponse("500", {
    response: serverError,
    selectionPattern: "5\\d{2}",
    template: SERVER_ERROR_TEMPLATE,
    dependsOn: [integration],
  });

  const routing = [method, integration, ok, okIntegration, clientError, clientErrorIntegration, throttled, serverError, serverErrorIntegration];
  const deployment = new ApiGatewayDeployment(pattern, "deployment", {
    restApiId: api.id,
    // As the seed: a change to the integration redeploys. Fix: its responses count too (the seed's
    // trigger ignores them, so an edited response template never reached the stage).
    triggers: {
      redeployment_integration: Fn.sha1(Fn.jsonencode(routing.map((resource) => Token.asAny(resource.fqn)))),
    },
    lifecycle: { createBeforeDestroy: true },
    // Fix: the seed waits for the integration only, so the first deployment could miss its responses.
    dependsOn: routing,
  });
  return { api, method, role, deployment };
}
