import { Construct } from "constructs";
import { AssetType, ITerraformDependable, TerraformAsset, TerraformStack } from "cdktf";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { AlarmTopic, alarmIdPrefixOf } from "../alarm-topic";
import { LambdaPackaging } from "../environment";
import { ServerlessStack } from "../serverless-stack";
import { bundleHandler, NODE_RUNTIME } from "./bundle";

/** One IAM statement: named actions on named resources (no wildcards: see the policy suite). */
export interface IamStatement {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** Who may invoke the function, from where (a `lambda_permission`). */
export interface InvokePermission {
  /** The permission's statement id in the function's resource policy. */
  readonly statementId: string;
  /** e.g. `apigateway.amazonaws.com`, `elasticloadbalancing.amazonaws.com`. */
  readonly principal: string;
  /** The one source allowed: an API's execution ARN pattern, a target group ARN. */
  readonly sourceArn: string;
}

/** How the function's statements reach its role. */
export type RolePolicy =
  /** An inline `aws_iam_role_policy`. */
  | { readonly kind: "inline"; readonly name: string }
  /** A managed `aws_iam_policy` plus an `aws_iam_role_policy_attachment`. */
  | { readonly kind: "managed"; readonly name: string; readonly description?: string };

export interface NodejsFunctionProps {
  /** TypeScript entry exporting `handler`, relative to the project root (e.g. `handlers/x/index.ts`). */
  readonly entry: string;
  readonly functionName: string;
  readonly roleName: string;
  /** @default the stack's environment (`env.lambdaPackaging`); required outside a ServerlessStack */
  readonly packaging?: LambdaPackaging;
  /** Retention of the function's log group, in days. @default the stack's environment (`env.logRetentionDays`); required outside a ServerlessStack */
  readonly logRetentionDays?: number;
  /** Statements besides writing to its own log group (always granted, on that group only). */
  readonly statements?: readonly IamStatement[];
  /** @default { kind: "inline", name: `${functionName}-policy` } */
  readonly rolePolicy?: RolePolicy;
  /** Policy documents merged into the role policy (`source_policy_documents`). @default none */
  readonly sourcePolicyDocuments?: readonly string[];
  /** AWS managed policies attached by ARN. @default none */
  readonly managedPolicyArns?: readonly string[];
  /** Trust policy JSON; lets several roles share one document. @default a new document trusting lambda.amazonaws.com */
  readonly assumeRolePolicy?: string;
  /** @default 128 */
  readonly memorySize?: number;
  /** Seconds. @default 3 */
  readonly timeout?: number;
  /**
   * Variables besides `FUNCTION_TIMEOUT_MS`, which is always set (from `timeout`): the
   * handlers size their SDK clients' timeouts and retries and their deadline from it.
   * @default none
   */
  readonly environment?: Record<string, string>;
  /** @default unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Publish a version on each change. @default false */
  readonly publish?: boolean;
  readonly description?: string;
  /**
   * Alarms on errors and throttles go to this topic; `false`: no alarms.
   * @default the stack's alarm topic (no alarms outside a ServerlessStack)
   */
  readonly alarms?: AlarmTopic | false;
}

/**
 * A Lambda function from a TypeScript handler entry: esbuild bundle at synth
 * time, zip (`archive_file` or a deterministic cdktf asset), `source_code_hash`
 * from that zip, IAM role with least-privilege statements, log group with
 * retention. The code ships inside the stack folder, so `terraform plan` run in
 * `cdktf.out/stacks/<id>/` (or a copy of it) finds it.
 *
 * Copying it: the whole `blocks/lambda/` folder (bundle.ts finds the project
 * root two folders above itself and bundles the `handlers/**\/index.ts` entries
 * it misses in one esbuild run; zip.ts needs Node.js >= 20.15), with
 * alarm-topic.ts, environment.ts and serverless-stack.ts; the packages `esbuild`
 * and `@cdktf/provider-archive`. Handlers read `FUNCTION_TIMEOUT_MS` to size their
 * time budget (handlers/shared/time-budget.ts).
 */
export class NodejsFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const stack = ServerlessStack.tryOf(this);
    const packaging = props.packaging ?? stack?.env.lambdaPackaging;
    const logRetentionDays = props.logRetentionDays ?? stack?.env.logRetentionDays;
    if (packaging === undefined || logRetentionDays === undefined) {
      throw new Error(`NodejsFunction ${this.node.path}: outside a ServerlessStack, pass packaging and logRetentionDays.`);
    }
    const alarms = props.alarms === false ? undefined : (props.alarms ?? stack?.alarms);

    this.logGroup = new CloudwatchLogGroup(this, "log_group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: logRetentionDays,
    });

    const trust =
      props.assumeRolePolicy ??
      new DataAwsIamPolicyDocument(this, "assume_role_policy", {
        statement: [
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          },
        ],
      }).json;
    this.role = new IamRole(this, "role", { name: props.roleName, assumeRolePolicy: trust });

    this.policyDocument = new DataAwsIamPolicyDocument(this, "policy_document", {
      sourcePolicyDocuments: props.sourcePolicyDocuments ? [...props.sourcePolicyDocuments] : undefined,
      statement: [
        {
          sid: "WriteOwnLogGroup",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${this.logGroup.arn}:*`],
        },
        ...(props.statements ?? []).map((s) => ({
          sid: s.sid,
          actions: [...s.actions],
          resources: [...s.resources],
        })),
      ],
    });

    const rolePolicy = props.rolePolicy ?? { kind: "inline", name: `${props.functionName}-policy` };
    const attachments: ITerraformDependable[] = [];
    if (rolePolicy.kind === "inline") {
      attachments.push(
        new IamRolePolicy(this, "policy", {
          name: rolePolicy.name,
          role: this.role.id,
          policy: this.policyDocument.json,
        }),
      );
    } else {
      const policy = new IamPolicy(this, "policy", {
        name: rolePolicy.name,
        description: rolePolicy.description,
        policy: this.policyDocument.json,
      });
      attachments.push(
        new IamRolePolicyAttachment(this, "policy_attachment", { role: this.role.name, policyArn: policy.arn }),
      );
    }
    (props.managedPolicyArns ?? []).forEach((arn, i) => {
      attachments.push(
        new IamRolePolicyAttachment(this, `managed_policy_attachment_${i}`, { role: this.role.name, policyArn: arn }),
      );
    });

    const code = this.package(packaging, props.functionName, props.entry);

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: NODE_RUNTIME,
      handler: "index.handler",
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      memorySize: props.memorySize ?? 128,
      timeout: props.timeout ?? 3,
      publish: props.publish,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // The same number Lambda enforces, so the handler's time budget (handlers/shared/time-budget.ts) fits it.
      environment: { variables: { ...props.environment, FUNCTION_TIMEOUT_MS: String((props.timeout ?? 3) * 1000) } },
      // The log group must exist first (with its retention), and the role may act only once its policy is attached.
      dependsOn: [this.logGroup, ...attachments],
    });

    if (alarms) this.addAlarms(alarms, props.functionName, alarmIdPrefixOf(this));
  }

  /**
   * Lets `principal` invoke the function from `sourceArn` only (aws-cdk's `addPermission`).
   * The permission is created in `scope` (default: the stack), so its address is
   * `aws_lambda_permission.<id>` there, as if written by hand.
   */
  allowInvoke(id: string, props: InvokePermission, scope: Construct = TerraformStack.of(this)): LambdaPermission {
    return new LambdaPermission(scope, id, {
      statementId: props.statementId,
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: props.principal,
      sourceArn: props.sourceArn,
    });
  }

  /** Errors and throttles, each > 0 over a minute: both mean a request or record was not handled. */
  private addAlarms(topic: AlarmTopic, functionName: string, idPrefix: string): void {
    for (const metricName of ["Errors", "Throttles"]) {
      topic.countAboveZero(`${idPrefix}_${metricName.toLowerCase()}`, {
        alarmName: `${functionName}-${metricName.toLowerCase()}`,
        alarmDescription: `${functionName}: ${metricName} > 0`,
        namespace: "AWS/Lambda",
        metricName,
        dimensions: { FunctionName: this.function.functionName },
      });
    }
  }

  private package(
    packaging: LambdaPackaging,
    functionName: string,
    entry: string,
  ): { filename: string; sourceCodeHash: string } {
    const bundle = bundleHandler(entry);
    if (packaging === "asset") {
      const asset = new TerraformAsset(this, "code", { path: bundle.zipFile, type: AssetType.FILE });
      return { filename: asset.path, sourceCodeHash: bundle.zipBase64Sha256 };
    }
    const source = new TerraformAsset(this, "code", { path: bundle.dir, type: AssetType.DIRECTORY });
    ensureArchiveProvider(this);
    const archive = new DataArchiveFile(this, "package", {
      type: "zip",
      sourceDir: source.path,
      outputPath: `\${path.module}/.cache/${functionName}.zip`,
    });
    return { filename: archive.outputPath, sourceCodeHash: archive.outputBase64Sha256 };
  }
}

/** The archive provider, once per stack, the first time a function is packaged with it. */
function ensureArchiveProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (!stack.node.tryFindChild("archive")) new ArchiveProvider(stack, "archive");
}
