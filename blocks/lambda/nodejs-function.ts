import { Construct, IConstruct } from "constructs";
import { AssetType, Fn, IResolvable, ITerraformDependable, TerraformAsset, TerraformProvider, TerraformStack, Token } from "cdktf";
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
import { IAlarmTopic, alarmIdPrefixOf } from "../alarm-topic";
import { LambdaPackaging } from "../deployment";
import { bundleHandler, NODE_RUNTIME } from "./bundle";
import { BundlingOptions, IamStatement, InvokePermission, LOG_LEVELS, NodejsFunctionProps, SYSTEM_LOG_LEVELS } from "./props";

export { LOG_LEVELS, SYSTEM_LOG_LEVELS } from "./props";
export type { BundlingOptions, IamStatement, InvokePermission, NodejsFunctionProps, RolePolicy, SetByNodejsFunction } from "./props";

/** Defaults of the settings a pattern passes explicitly (its own defaults live in the pattern). */
export const NODEJS_FUNCTION_DEFAULTS = {
  packaging: "asset",
  logRetentionDays: 14,
  memorySize: 128,
  timeout: 3,
  logLevel: "INFO",
  systemLogLevel: "WARN",
  tracing: false,
} as const;

/** X-Ray's write actions: no resource-level permissions, so only `*` (AWS's design). */
export const TRACING_ACTIONS: readonly string[] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];
const TRACING_SID = "WriteTraces";

/** Active when true, none when false; a token: Active or PassThrough (Lambda's default), at plan time. */
function tracingConfig(tracing: boolean | IResolvable): { mode: string } | undefined {
  if (Token.isUnresolved(tracing)) return { mode: Fn.conditional(tracing, "Active", "PassThrough") as string };
  return tracing === true ? { mode: "Active" } : undefined;
}

/**
 * A Lambda function from a TypeScript handler entry: esbuild bundle at synth
 * time (or the bundle prebuilt into the installed package), zip (`archive_file`
 * or a deterministic cdktf asset), `source_code_hash` from that zip, IAM role
 * with least-privilege statements, log group with retention, alarms on errors
 * and throttles when given a topic. Every other field of the provider's
 * `LambdaFunctionConfig` (layers, `vpcConfig`, `ephemeralStorage`, ...) passes
 * through. The code ships inside the stack folder, so `terraform plan` run in
 * `cdktf.out/stacks/<id>/` (or a copy of it) finds it. Settings come from props
 * only, never from the stack. Handlers read `FUNCTION_TIMEOUT_MS` to size their
 * time budget (handlers/shared/time-budget.ts).
 */
export class NodejsFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const {
      entry,
      roleName,
      packaging = NODEJS_FUNCTION_DEFAULTS.packaging,
      logRetentionDays = NODEJS_FUNCTION_DEFAULTS.logRetentionDays,
      alarms,
      statements = [],
      rolePolicy = { kind: "inline", name: `${props.functionName}-policy` },
      sourcePolicyDocuments,
      managedPolicyArns = [],
      assumeRolePolicy,
      memorySize = NODEJS_FUNCTION_DEFAULTS.memorySize,
      timeout = NODEJS_FUNCTION_DEFAULTS.timeout,
      environment,
      bundling,
      logLevel = NODEJS_FUNCTION_DEFAULTS.logLevel,
      systemLogLevel = NODEJS_FUNCTION_DEFAULTS.systemLogLevel,
      tracing = NODEJS_FUNCTION_DEFAULTS.tracing,
      dependsOn = [],
      ...functionConfig
    } = props;
    checkLevel(this, "logLevel", logLevel, LOG_LEVELS);
    checkLevel(this, "systemLogLevel", systemLogLevel, SYSTEM_LOG_LEVELS);

    this.logGroup = new CloudwatchLogGroup(this, "log_group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: logRetentionDays,
    });

    const trust =
      assumeRolePolicy ??
      new DataAwsIamPolicyDocument(this, "assume_role_policy", {
        statement: [
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          },
        ],
      }).json;
    this.role = new IamRole(this, "role", { name: roleName, assumeRolePolicy: trust });

    this.policyDocument = new DataAwsIamPolicyDocument(this, "policy_document", {
      sourcePolicyDocuments: sourcePolicyDocuments ? [...sourcePolicyDocuments] : undefined,
      statement: [
        {
          sid: "WriteOwnLogGroup",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${this.logGroup.arn}:*`],
        },
        ...statements.map((s: IamStatement) => ({ sid: s.sid, actions: [...s.actions], resources: [...s.resources] })),
        ...(tracing === true ? [{ sid: TRACING_SID, actions: [...TRACING_ACTIONS], resources: ["*"] }] : []),
      ],
    });
    // Decided at plan time: the statement exists only while the variable is true.
    if (Token.isUnresolved(tracing)) {
      this.policyDocument.addOverride("dynamic.statement", {
        for_each: Fn.conditional(tracing, [TRACING_SID], []),
        content: { sid: "${statement.value}", actions: [...TRACING_ACTIONS], resources: ["*"] },
      });
    }

    const attachments: ITerraformDependable[] = [];
    if (rolePolicy.kind === "inline") {
      attachments.push(new IamRolePolicy(this, "policy", { name: rolePolicy.name, role: this.role.id, policy: this.policyDocument.json }));
    } else {
      const policy = new IamPolicy(this, "policy", {
        name: rolePolicy.name,
        description: rolePolicy.description,
        policy: this.policyDocument.json,
      });
      attachments.push(new IamRolePolicyAttachment(this, "policy_attachment", { role: this.role.name, policyArn: policy.arn }));
    }
    managedPolicyArns.forEach((arn, i) => {
      attachments.push(new IamRolePolicyAttachment(this, `managed_policy_attachment_${i}`, { role: this.role.name, policyArn: arn }));
    });

    const code = this.package(packaging, props.functionName, entry, bundling);
    const variables: Record<string, string> = {
      ...environment,
      // The same number Lambda enforces, so the handler's time budget (handlers/shared/time-budget.ts) fits it.
      FUNCTION_TIMEOUT_MS: String(timeout * 1000),
    };
    if (bundling?.sourcemap) variables.NODE_OPTIONS = [environment?.NODE_OPTIONS, "--enable-source-maps"].filter(Boolean).join(" ");

    this.function = new LambdaFunction(this, "function", {
      ...functionConfig,
      role: this.role.arn,
      runtime: NODE_RUNTIME,
      handler: "index.handler",
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      memorySize,
      timeout,
      environment: { variables },
      // One log shape: Lambda's JSON lines, its own and the handler's, filtered by level.
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: logLevel, systemLogLevel },
      tracingConfig: tracingConfig(tracing),
      // The log group must exist first (with its retention), and the role may act only once its policy is attached.
      dependsOn: [this.logGroup, ...attachments, ...dependsOn],
    });

    if (alarms) this.addAlarms(alarms, props.functionName, alarmIdPrefixOf(this));
  }

  /**
   * Lets `principal` invoke the function from `sourceArn` only (aws-cdk's `addPermission`),
   * as `aws_lambda_permission.<id>` in `scope`. Patterns pass themselves, so two instances
   * never share an id; the default, the stack, suits a construct used directly in a stack.
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
  private addAlarms(topic: IAlarmTopic, functionName: string, idPrefix: string): void {
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
    bundling: BundlingOptions | undefined,
  ): { filename: string; sourceCodeHash: string } {
    const bundle = bundleHandler(entry, bundling);
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

/** A log level is one Lambda knows, or a token resolved at plan time (a variable: Terraform's validation's job). */
function checkLevel(scope: Construct, prop: string, value: string, allowed: readonly string[]): void {
  if (!Token.isUnresolved(value) && !allowed.includes(value)) {
    throw new Error(`NodejsFunction ${scope.node.path}: ${prop} "${value}" is not one of ${allowed.join(", ")}`);
  }
}

/** A default (unaliased) archive provider in the stack, the user's or ours, added the first time a function needs one. */
function ensureArchiveProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const isDefaultArchive = (c: IConstruct): boolean =>
    c instanceof TerraformProvider && c.terraformResourceType === "archive" && c.alias === undefined;
  if (!stack.node.findAll().some(isDefaultArchive) && !stack.node.tryFindChild("archive")) new ArchiveProvider(stack, "archive");
}
