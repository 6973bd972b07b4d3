/**
 * translate-api's REST API (the hands-on's `translate-api`, edge-optimized): `/translate`
 * (GET and POST, validated, Lambda proxy), `/mock` (a MOCK integration), the function's
 * invoke permission and the deployment. A function, not a construct: its resources sit
 * directly in the pattern, at the addresses the stack had before the pattern existed.
 */
import { createHash } from "node:crypto";
import { Fn } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { CallerAuth, methodAuthorization } from "../../blocks/api-key-clients";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";
import { MOCK_REQUEST_TEMPLATE, TRANSLATE_QUERY_PARAMETERS, TRANSLATE_REQUEST_SCHEMA } from "./api-definition";

export interface TranslateRestApi {
  readonly api: ApiGatewayRestApi;
  readonly translateResource: ApiGatewayResource;
  readonly mockResource: ApiGatewayResource;
  readonly invokePermission: LambdaPermission;
  readonly deployment: ApiGatewayDeployment;
}

export function translateRestApi(
  pattern: Pattern,
  props: {
    readonly name: string;
    readonly handler: NodejsFunction;
    readonly callerAuth: CallerAuth;
    readonly customDomain: boolean;
    readonly mockResponse: Readonly<Record<string, string | number | boolean>>;
  },
): TranslateRestApi {
  const api = new ApiGatewayRestApi(pattern, "api", {
    name: props.name,
    description: "Translation API with history (seed 004)",
    endpointConfiguration: { types: ["EDGE"] },
    // Fix: off with a custom domain (the rule: blocks/api-custom-domain.ts).
    disableExecuteApiEndpoint: props.customDomain,
  });
  const restApiId = api.id;

  // /translate: GET (query string) and POST (JSON body), both Lambda proxy, validated before Lambda runs.
  const translateResource = new ApiGatewayResource(pattern, "translate_resource", {
    restApiId,
    parentId: api.rootResourceId,
    pathPart: "translate",
  });
  const queryValidator = new ApiGatewayRequestValidator(pattern, "query_validator", {
    restApiId,
    name: "translate-query-parameters",
    validateRequestParameters: true,
    validateRequestBody: false,
  });
  const bodyValidator = new ApiGatewayRequestValidator(pattern, "body_validator", {
    restApiId,
    name: "translate-json-body",
    validateRequestParameters: false,
    validateRequestBody: true,
  });
  const requestModel = new ApiGatewayModel(pattern, "request_model", {
    restApiId,
    name: "TranslateRequest",
    description: "POST /translate body",
    contentType: "application/json",
    schema: JSON.stringify(TRANSLATE_REQUEST_SCHEMA),
  });
  const getMethod = new ApiGatewayMethod(pattern, "get_method", {
    restApiId,
    resourceId: translateResource.id,
    httpMethod: "GET",
    // Fix: the hands-on's methods are open, so any stranger could spend Translate characters.
    ...methodAuthorization(props.callerAuth),
    requestValidatorId: queryValidator.id,
    requestParameters: TRANSLATE_QUERY_PARAMETERS,
  });
  const postMethod = new ApiGatewayMethod(pattern, "post_method", {
    restApiId,
    resourceId: translateResource.id,
    httpMethod: "POST",
    ...methodAuthorization(props.callerAuth),
    requestValidatorId: bodyValidator.id,
    requestModels: { "application/json": requestModel.name },
  });
  const proxyIntegration = (constructId: string, method: ApiGatewayMethod): ApiGatewayIntegration =>
    new ApiGatewayIntegration(pattern, constructId, {
      restApiId,
      resourceId: translateResource.id,
      httpMethod: method.httpMethod,
      type: "AWS_PROXY",
      integrationHttpMethod: "POST", // Lambda is always invoked with POST
      uri: props.handler.function.invokeArn,
    });
  const getIntegration = proxyIntegration("get_integration", getMethod);
  const postIntegration = proxyIntegration("post_integration", postMethod);

  // /mock: GET through a MOCK integration; the fixed body comes from the integration response template.
  const mockResource = new ApiGatewayResource(pattern, "mock_resource", {
    restApiId,
    parentId: api.rootResourceId,
    pathPart: "mock",
  });
  const mockMethod = new ApiGatewayMethod(pattern, "mock_method", {
    restApiId,
    resourceId: mockResource.id,
    httpMethod: "GET",
    // Open on purpose: a MOCK integration answers from API Gateway itself (no function, no Translate).
    authorization: "NONE",
  });
  const mockIntegration = new ApiGatewayIntegration(pattern, "mock_integration", {
    restApiId,
    resourceId: mockResource.id,
    httpMethod: mockMethod.httpMethod,
    type: "MOCK",
    requestTemplates: { "application/json": MOCK_REQUEST_TEMPLATE },
    // Fix: the console default (WHEN_NO_MATCH) passes a request with another Content-Type to the
    // mock untemplated; without `statusCode` the mock fails with a 500. NEVER answers 415 instead.
    passthroughBehavior: "NEVER",
  });
  const mockMethodResponse = new ApiGatewayMethodResponse(pattern, "mock_method_response", {
    restApiId,
    resourceId: mockResource.id,
    httpMethod: mockMethod.httpMethod,
    statusCode: "200",
    responseModels: { "application/json": "Empty" },
  });
  const mockResponseTemplate = JSON.stringify(props.mockResponse);
  const mockIntegrationResponse = new ApiGatewayIntegrationResponse(pattern, "mock_integration_response", {
    restApiId,
    resourceId: mockResource.id,
    httpMethod: mockIntegration.httpMethod, // after the integration exists
    statusCode: mockMethodResponse.statusCode,
    responseTemplates: { "application/json": mockResponseTemplate },
  });

  // Invoke permission for this API only, on /translate only (any stage, so the console's test invoke works).
  const invokePermission = props.handler.allowInvoke(
    "api_permission",
    { statementId: "AllowTranslateApiInvoke", principal: "apigateway.amazonaws.com", sourceArn: `${api.executionArn}/*/*/translate` },
    pattern,
  );

  // A deployment is a snapshot: without a trigger, later changes to methods or integrations never
  // reach the stage. The trigger hashes every API resource's id plus the literal definitions, so
  // any change redeploys; create_before_destroy keeps the stage pointing at a live deployment.
  const definitionHash = createHash("sha1")
    .update(
      JSON.stringify({
        schema: TRANSLATE_REQUEST_SCHEMA,
        query: TRANSLATE_QUERY_PARAMETERS,
        mockRequest: MOCK_REQUEST_TEMPLATE,
        mockResponse: mockResponseTemplate,
        // A method's authorization reaches the stage only with a new deployment.
        callerAuth: props.callerAuth,
      }),
    )
    .digest("hex");
  const deployment = new ApiGatewayDeployment(pattern, "deployment", {
    restApiId,
    description: "translate-api",
    triggers: {
      redeployment: Fn.sha1(
        Fn.jsonencode([
          translateResource.id,
          mockResource.id,
          queryValidator.id,
          bodyValidator.id,
          requestModel.id,
          getMethod.id,
          postMethod.id,
          mockMethod.id,
          getIntegration.id,
          postIntegration.id,
          getIntegration.uri,
          mockIntegration.id,
          mockMethodResponse.id,
          mockIntegrationResponse.id,
          definitionHash,
        ]),
      ),
    },
    lifecycle: { createBeforeDestroy: true },
    dependsOn: [getIntegration, postIntegration, mockIntegration, mockIntegrationResponse],
  });
  return { api, translateResource, mockResource, invokePermission, deployment };
}
