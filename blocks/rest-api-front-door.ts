/**
 * How callers reach a REST API stage, as both REST stacks offer it: an optional
 * custom domain, callers identified by API key (a usage plan each) or IAM, and
 * an optional WAF web ACL. A function, not a construct: what it creates sits
 * directly in the pattern (ids `domain`, `api_clients`, `web_acl`), so the
 * Terraform addresses are those of the stacks that wrote it by hand before.
 * `frontDoorOutputs` gives a deployable stack its outputs.
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiKeyClients, CallerAuth, ClientLimits, restApiCallers } from "./api-key-clients";
import { RestApiCustomDomain, RestApiDomainOptions } from "./api-custom-domain";
import { RateLimitWebAcl, WebAclOptions } from "./rate-limit-web-acl";
import { RestApiStage } from "./rest-api-stage";

/** The props a REST API stack offers for its front door (its own `clientLimits` documents that stack's defaults). */
export interface RestApiFrontDoorOptions {
  /**
   * How the API's methods identify their callers: `"api-key"` (each client sends its
   * key as `x-api-key`; a usage plan per client) or `"iam"` (SigV4-signed callers
   * allowed `execute-api:Invoke`; no keys). See `CallerAuth`.
   * @default "api-key"
   */
  readonly callerAuth?: CallerAuth;
  /**
   * Default of the `api_clients` variable (with `callerAuth: "api-key"`): one key and usage plan per name.
   * @default ["default"]
   */
  readonly apiClients?: readonly string[];
  /**
   * A WAF web ACL (per-IP rate limit + AWS managed common rules) on the stage; present = on.
   * @default none (no web ACL: it costs about 7 USD a month plus 0.60 USD per million requests)
   */
  readonly webAcl?: WebAclOptions;
  /**
   * Serve the API on a custom domain (regional, TLS 1.2) and turn its default execute-api
   * endpoint off (`disableExecuteApiEndpoint` on the API), so no caller goes around the domain's TLS policy.
   * @default none: the execute-api endpoint (the seed)
   */
  readonly customDomain?: RestApiDomainOptions;
}

export interface RestApiFrontDoorProps extends RestApiFrontDoorOptions {
  readonly api: ApiGatewayRestApi;
  readonly stage: RestApiStage;
  /** Physical name of the web ACL and prefix of each client's key and usage plan. */
  readonly name: string;
  /** The hosted zone of `customDomain` (the pattern's `hostedZoneId(zoneName)`); only with `customDomain`. */
  readonly hostedZoneId?: string;
  /** Per-client limits: the stack's defaults, overridden by its `clientLimits` prop. */
  readonly limits: Required<ClientLimits>;
  /** What IAM callers may invoke, after `<execution arn>/<stage>/`: `<METHOD>/<path>`, e.g. `POST/` or `*\/translate`. */
  readonly invokePath: string;
}

/** What a REST API stack exposes as `frontDoor`: the custom domain, API keys and web ACL, as its props ask. */
export interface RestApiFrontDoor {
  readonly domain?: RestApiCustomDomain;
  /** Set with `callerAuth: "api-key"` (the default). */
  readonly apiClients?: ApiKeyClients;
  /** The `execute-api` ARN IAM callers must be allowed to invoke. */
  readonly invokeArn: string;
  /** Set when `webAcl` is given. */
  readonly webAcl?: RateLimitWebAcl;
}

/** The custom domain (output `custom_domain_url`), the callers and the web ACL of a REST API stage. */
export function restApiFrontDoor(scope: Construct, props: RestApiFrontDoorProps): RestApiFrontDoor {
  const stage = props.stage.stage;
  let domain: RestApiCustomDomain | undefined;
  if (props.customDomain) {
    domain = new RestApiCustomDomain(scope, "domain", {
      domainName: props.customDomain.domainName,
      hostedZoneId: requireZone(scope, props.hostedZoneId),
      certificate: props.customDomain.certificate ?? { kind: "create" },
      restApiId: props.api.id,
      stageName: stage.stageName,
    });
  }
  const invokeArn = `${props.api.executionArn}/${stage.stageName}/${props.invokePath}`;
  const apiClients = restApiCallers(scope, {
    auth: props.callerAuth ?? "api-key",
    api: props.api,
    stage,
    namePrefix: props.name,
    clients: props.apiClients,
    limits: props.limits,
    invokeArn,
  });
  const webAcl = props.webAcl
    ? new RateLimitWebAcl(scope, "web_acl", { ...props.webAcl, name: props.name, protects: { stage_association: stage.arn } })
    : undefined;
  return { domain, apiClients, webAcl, invokeArn };
}

function requireZone(scope: Construct, hostedZoneId: string | undefined): string {
  if (hostedZoneId === undefined) throw new Error(`${scope.node.path}: a custom domain needs hostedZoneId`);
  return hostedZoneId;
}

/**
 * A deployable stack's outputs of its front door: `custom_domain_url`, and `api_keys`
 * (sensitive; the values are in state) or `execute_api_arn` (IAM callers).
 */
export function frontDoorOutputs(scope: Construct, frontDoor: RestApiFrontDoor): void {
  if (frontDoor.domain) {
    new TerraformOutput(scope, "custom_domain_url", {
      value: `https://${frontDoor.domain.domainName.domainName}/`,
      description: "The API on its custom domain (the execute-api endpoint is off).",
    });
  }
  if (frontDoor.apiClients) {
    new TerraformOutput(scope, "api_keys", {
      value: frontDoor.apiClients.apiKeyValues,
      sensitive: true,
      description: "API key of each client (send it as the x-api-key header): terraform output -json api_keys",
    });
  } else {
    new TerraformOutput(scope, "execute_api_arn", {
      value: frontDoor.invokeArn,
      description: "Grant callers execute-api:Invoke on this ARN; they sign each request with SigV4.",
    });
  }
}
