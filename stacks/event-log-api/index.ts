import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { exclusive } from "../../blocks/defaults";
import { PatternProps } from "../../blocks/pattern";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable } from "../../blocks/variables";
import { EventLogApi, EventLogApiDomainOptions, EventLogApiProps, EventLogApiRequester } from "../../patterns/event-log-api";

/** The two routes (the pattern's `EVENT_LOG_API_ROUTES`), under the name the stack exported. */
export { EVENT_LOG_API_ROUTES as ROUTES } from "../../patterns/event-log-api";

/** The pattern's own props (the environment decides names, lookups, packaging and the alarm topic), the domain as a switch. */
export interface EventLogApiStackProps extends ServerlessStackProps, Omit<EventLogApiProps, keyof PatternProps | "customDomain"> {
  /**
   * Serve the API on `<api_subdomain>.<domain_name>` with an ACM certificate
   * validated through the Route53 hosted zone of `domain_name` (both Terraform variables).
   * @default true (the seed)
   */
  readonly customDomain?: boolean;
  /** Default of the `api_subdomain` variable. @default "sample-http-api" (the seed's host) */
  readonly apiSubdomain?: string;
  /**
   * Create the requester IAM user (the policy is created either way, to attach to roles).
   * Not with `requester`, which says the same and more (`false` is `requester: "none"`).
   * @default true (the seed)
   */
  readonly requesterUser?: boolean;
}

/**
 * Seed 001 as a deployable stack: the `EventLogApi` pattern (patterns/event-log-api) with this
 * environment's names, its settings as Terraform variables, the custom domain from the
 * `domain_name` and `api_subdomain` variables, and the outputs an operator needs.
 */
export class EventLogApiStack extends ServerlessStack {
  readonly pattern: EventLogApi;

  constructor(scope: Construct, id: string, props: EventLogApiStackProps) {
    super(scope, id, props);
    exclusive(this, { requesterUser: props.requesterUser, requester: props.requester });
    const { deployment: _deployment, customDomain, apiSubdomain, requesterUser, ...patternProps } = props;
    const requester: EventLogApiRequester = props.requester ?? (requesterUser === false ? "none" : "user");
    this.pattern = new EventLogApi(this, "Default", {
      ...patternProps,
      ...this.patternProps(),
      customDomain: (customDomain ?? true) ? this.domainFromVariables(apiSubdomain) : undefined,
      requester,
    });
    const p = this.pattern;

    this.outputsOf(p);
    if (p.domain) {
      new TerraformOutput(this, "custom_domain_url", {
        value: `https://${p.domain.domainName.domainName}/events`,
        description: "The events route on the custom domain",
      });
    }
    if (p.requesterUser) {
      new TerraformOutput(this, "requester_user_name", {
        value: p.requesterUser.name,
        description: "IAM user allowed to call the routes; create its access key outside Terraform.",
      });
    }
    if (p.requesterRole) {
      new TerraformOutput(this, "requester_role_arn", {
        value: p.requesterRole.arn,
        description: "IAM role allowed to call the routes: the trusted principals assume it and sign with its session.",
      });
    }
    new TerraformOutput(this, "execute_api_url", {
      value: p.api.apiEndpoint,
      description: "Default execute-api URL (disabled when the custom domain is on: use custom_domain_url)",
    });
    new TerraformOutput(this, "table_name", { value: p.tableRef.name, description: "DynamoDB table holding the events." });
    new TerraformOutput(this, "function_name", { value: p.handler.function.functionName, description: "Lambda function behind the routes." });
    new TerraformOutput(this, "requester_policy_arn", {
      value: p.requesterPolicy.arn,
      description: "IAM policy allowing GET and POST /events: attach it to the roles or users that call the API.",
    });
  }

  /** `<api_subdomain>.<domain_name>`, the zone `domain_name`: required variables, so the wrapper's (the pattern has no default). */
  private domainFromVariables(apiSubdomain: string | undefined): EventLogApiDomainOptions {
    const zoneName = patternVariable(this, "domain_name", {
      pattern: DNS_NAME_PATTERN,
      description: "Naked domain whose Route53 hosted zone exists already (the seed's var.domain_name), e.g. example.com.",
      errorMessage: "domain_name must be a lower-case DNS name such as example.com.",
    });
    const subdomain = patternVariable(this, "api_subdomain", {
      pattern: "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
      default: apiSubdomain ?? "sample-http-api",
      description: "Label(s) in front of domain_name that form the API's host name.",
      errorMessage: "api_subdomain must be DNS labels such as sample-http-api.",
    });
    return { domainName: `${subdomain.stringValue}.${zoneName.stringValue}`, zoneName: zoneName.stringValue };
  }
}
