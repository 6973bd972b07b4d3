import { Construct } from "constructs";
import { Fn, IResolvable, Token } from "cdktf";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { booleanSetting } from "./variables";

/** The Terraform variable every stack uses to take (or leave) the region's API Gateway logging setting. */
export const MANAGE_API_GATEWAY_ACCOUNT_VARIABLE = "manage_api_gateway_account";

export interface ApiGatewayAccountLoggingProps {
  /**
   * Physical name of the logging role (pass `this.name(...)`).
   * @default none: required
   */
  readonly roleName: string;
  /** The account the role lives in, for its ARN. */
  readonly accountId: string;
  /**
   * Whether this construct owns the setting (with variables on, the default of
   * `manage_api_gateway_account`). `true` in the one stack
   * per account and region that owns the setting (the first one deployed to a fresh
   * account), `false` everywhere else.
   * @default false: never take over a shared setting unless asked
   */
  readonly manageByDefault?: boolean;
}

/**
 * The region's API Gateway account setting for CloudWatch logging
 * (`aws_api_gateway_account`), and the IAM role it names: trusted by
 * apigateway.amazonaws.com, with the AWS managed policy
 * `AmazonAPIGatewayPushToCloudWatchLogs`. REST API stages can neither write
 * access logs nor execution logs until the setting names such a role.
 *
 * All three resources have `count` 1 or 0 from the bool variable
 * `manage_api_gateway_account` (the same name in every stack, default from
 * `manageByDefault`), so an operator decides per deployment.
 *
 * **Exactly one stack per account and region should own it.** The setting is a
 * singleton shared by every REST API of the region, not a resource of one API:
 * - two owners overwrite each other (the last apply wins, each pointing the
 *   setting at its own role) and each plan shows the other's change as drift;
 * - the role's policy cannot be scoped to one stack's log groups, because the
 *   role writes the execution and access logs of every REST API in the region
 *   (`API-Gateway-Execution-Logs_<api id>/<stage>` and each stage's group). The
 *   policy is AWS's own, attached by ARN, so no `Resource: "*"` is written here.
 *
 * **Destroy.** Destroying the owning stack deletes the role but leaves the
 * account setting as it is (the provider's default, `reset_on_delete = false`):
 * it then names a deleted role, and every REST API of the region silently stops
 * logging. Before destroying the owner while other REST APIs remain, hand the
 * setting over: apply another stack with `manage_api_gateway_account = true`
 * (or point the setting at another role with `aws apigateway update-account`).
 *
 * The role's ARN is built from its name (`arn:<partition>:iam::<account>:role/<name>`)
 * rather than read as `aws_iam_role.<id>[0].arn`. Both plan the same, but cdktf
 * has no typed accessor for an instance of a counted resource: the index form
 * is a hand-written `${...}[0]` string that the compiler cannot check (a renamed
 * construct id only fails at `terraform validate`) and that reads as if the role
 * always existed. The name is a plain value known at plan time, so the plan
 * shows the real ARN; the order role -> policy attachment -> account setting is
 * kept with explicit `depends_on`.
 */
export class ApiGatewayAccountLogging extends Construct {
  /** Whether this construct owns the setting: `true`, or the `manage_api_gateway_account` variable's token. */
  readonly manage: boolean | IResolvable;
  /** The logging role (`count` 0/1). */
  readonly role: IamRole;
  /** The account setting (`count` 0/1); stages that log depend on it. */
  readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountLoggingProps) {
    super(scope, id);

    this.manage = booleanSetting(
      this,
      MANAGE_API_GATEWAY_ACCOUNT_VARIABLE,
      props.manageByDefault ?? false,
      "Create the IAM role API Gateway writes CloudWatch logs with (AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs) " +
        "and set it as this region's API Gateway account setting, which REST API access and execution logs need. " +
        "One setting per account and region, shared by every REST API there: true in exactly one stack, false in the others " +
        "(and everywhere when the region already has a role: `aws apigateway get-account`).",
    );
    const count = Token.asNumber(Fn.conditional(this.manage, 1, 0));

    const partition = new DataAwsPartition(this, "partition").partition;
    const roleArn = `arn:${partition}:iam::${props.accountId}:role/${props.roleName}`;

    this.role = new IamRole(this, "role", {
      count,
      name: props.roleName,
      description: "Lets API Gateway write execution and access logs to CloudWatch Logs (region-wide account setting)",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const policy = new IamRolePolicyAttachment(this, "policy", {
      count,
      role: props.roleName,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      dependsOn: [this.role],
    });
    this.account = new ApiGatewayAccount(this, "account", {
      count,
      cloudwatchRoleArn: roleArn,
      // API Gateway checks the role can be assumed and may write logs when the setting is made.
      dependsOn: [policy],
    });
  }
}
