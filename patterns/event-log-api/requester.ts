/**
 * event-log-api's requester: the policy allowed `execute-api:Invoke` on exactly the two
 * routes, and who holds it: the seed's IAM user (the default, one to one), an IAM role
 * trusted principals assume, or nobody (attach the policy yourself). A function, not a
 * construct: its resources sit directly in the pattern, at the stack's old addresses.
 */
import { Token } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { IamUserPolicyAttachment } from "@cdktf/provider-aws/lib/iam-user-policy-attachment";
import { Pattern } from "../../blocks/pattern";
import { EVENT_LOG_API_ROUTES } from "./http-api";

/** A role that holds the requester policy, for callers that assume it (no long-lived keys). */
export interface EventLogApiRequesterRole {
  /** Who may assume the role: IAM ARNs of roles, users or account roots (`arn:aws:iam::<account>:root`). At least one. */
  readonly trustedPrincipalArns: readonly string[];
  /** @default `<namePrefix>-api-gateway-log-event-requester` */
  readonly roleName?: string;
  /** Longest session, in seconds (3600..43200). @default 3600 */
  readonly maxSessionDuration?: number;
}

/**
 * Who holds the requester policy: `"user"`, the seed's IAM user with the policy attached
 * directly (no access key; Security Hub IAM.2 / checkov CKV_AWS_40, an accepted exception);
 * `{ role }`, an IAM role instead; `"none"`, the policy alone.
 */
export type EventLogApiRequester = "user" | "none" | { readonly role: EventLogApiRequesterRole };

export interface Requester {
  readonly policy: IamPolicy;
  readonly user?: IamUser;
  readonly role?: IamRole;
}

/** An IAM principal a trust policy may name: an account root, a user, a role, or an assumed-role session. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam::\d{12}:(root|(user|role)\/[\w+=,.@/-]+)|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;

/** Refuses a role nobody or everybody could assume, and a session outside IAM's bounds. */
function checkRole(pattern: Pattern, role: EventLogApiRequesterRole): void {
  const where = `${pattern.node.path}: requester.role`;
  if (role.trustedPrincipalArns.length === 0) throw new Error(`${where}.trustedPrincipalArns is empty: name at least one principal that may assume the role.`);
  for (const arn of role.trustedPrincipalArns) {
    if (!Token.isUnresolved(arn) && !PRINCIPAL_ARN.test(arn)) {
      throw new Error(`${where}.trustedPrincipalArns: ${JSON.stringify(arn)} is not an IAM principal ARN (arn:aws:iam::<account>:root, :role/<name> or :user/<name>).`);
    }
  }
  const seconds = role.maxSessionDuration;
  if (seconds !== undefined && !Token.isUnresolved(seconds) && !(Number.isInteger(seconds) && seconds >= 3600 && seconds <= 43200)) {
    throw new Error(`${where}.maxSessionDuration must be a whole number of seconds in 3600..43200, got ${seconds}.`);
  }
}

export function requester(
  pattern: Pattern,
  props: { readonly api: Apigatewayv2Api; readonly apiName: string; readonly holder: EventLogApiRequester },
): Requester {
  const holder = props.holder;
  if (typeof holder === "object") checkRole(pattern, holder.role);
  else if (holder !== "user" && holder !== "none") {
    throw new Error(`${pattern.node.path}: requester must be "user", "none" or { role: { trustedPrincipalArns } }, got ${JSON.stringify(holder)}.`);
  }

  const document = new DataAwsIamPolicyDocument(pattern, "requester_policy_document", {
    statement: [
      {
        sid: "InvokeEventRoutes",
        actions: ["execute-api:Invoke"],
        resources: EVENT_LOG_API_ROUTES.map((r) => `arn:aws:execute-api:${pattern.regionName}:${pattern.accountId}:${props.api.id}/*/${r.method}${r.path}`),
      },
    ],
  });
  const policy = new IamPolicy(pattern, "requester_policy", {
    name: pattern.name("api-gateway-log-event-requester-policy"),
    description: `Lets its holder call GET and POST /events of the ${props.apiName} HTTP API.`,
    policy: document.json,
  });

  if (holder === "user") {
    const user = new IamUser(pattern, "requester", { name: pattern.name("api-gateway-log-event-requester") });
    new IamUserPolicyAttachment(pattern, "requester_policy_attachment", { user: user.name, policyArn: policy.arn });
    return { policy, user };
  }
  if (holder === "none") return { policy };

  const trust = new DataAwsIamPolicyDocument(pattern, "requester_role_trust", {
    statement: [
      {
        sid: "TrustedCallersAssume",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "AWS", identifiers: [...holder.role.trustedPrincipalArns] }],
      },
    ],
  });
  const role = new IamRole(pattern, "requester_role", {
    name: holder.role.roleName ?? pattern.name("api-gateway-log-event-requester"),
    description: `Assumed to call GET and POST /events of the ${props.apiName} HTTP API.`,
    assumeRolePolicy: trust.json,
    maxSessionDuration: holder.role.maxSessionDuration,
  });
  new IamRolePolicyAttachment(pattern, "requester_role_policy_attachment", { role: role.name, policyArn: policy.arn });
  return { policy, role };
}
