import { IResolvable } from "cdktf";
import { LambdaFunctionConfig } from "@cdktf/provider-aws/lib/lambda-function";
import { IAlarmTopic } from "../alarm-topic";
import { LambdaPackaging } from "../deployment";

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

/**
 * How esbuild bundles the entry, per function. Any option set makes the bundle
 * its own cache entry, built in an esbuild run of its own.
 */
export interface BundlingOptions {
  /** @default true */
  readonly minify?: boolean;
  /** Ship `index.js.map` in the zip and run with `NODE_OPTIONS=--enable-source-maps`. @default false */
  readonly sourcemap?: boolean;
  /** Packages left out of the bundle, loaded at run time (from a layer). @default none: everything is bundled, the AWS SDK too */
  readonly externalModules?: readonly string[];
  /** Identifiers replaced by JavaScript expressions at build time (esbuild's `define`), e.g. `{ "process.env.STAGE": '"prod"' }`. @default none */
  readonly define?: Readonly<Record<string, string>>;
}

/** Lambda's application log levels (`logging_config.application_log_level`). */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
/** Lambda's system log levels (`logging_config.system_log_level`). */
export const SYSTEM_LOG_LEVELS = ["DEBUG", "INFO", "WARN"] as const;

/**
 * What the construct sets itself (code, role, runtime, environment, logging,
 * tracing) or cannot support (`count`/`for_each`: one function per construct);
 * every other field of the provider's `LambdaFunctionConfig` passes through.
 */
export type SetByNodejsFunction =
  | "role"
  | "filename"
  | "sourceCodeHash"
  | "handler"
  | "runtime"
  | "packageType"
  | "imageUri"
  | "imageConfig"
  | "s3Bucket"
  | "s3Key"
  | "s3ObjectVersion"
  | "environment"
  | "loggingConfig"
  | "tracingConfig"
  | "count"
  | "forEach";

export interface NodejsFunctionProps extends Omit<LambdaFunctionConfig, SetByNodejsFunction> {
  /**
   * TypeScript entry exporting `handler`: an absolute path, or relative to the project root
   * (this project's `handlers/**\/index.ts`; from the installed package, their prebuilt bundles,
   * and anything else relative to the working directory).
   */
  readonly entry: string;
  readonly roleName: string;
  /** @default "asset": a deterministic zip shipped as a cdktf asset, no extra provider */
  readonly packaging?: LambdaPackaging;
  /** Retention of the function's log group, in days. @default 14 */
  readonly logRetentionDays?: number;
  /** Alarms on errors and throttles go to this topic; `false` or unset: no alarms. @default no alarms */
  readonly alarms?: IAlarmTopic | false;
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
  /** @default the defaults of `BundlingOptions` */
  readonly bundling?: BundlingOptions;
  /**
   * Lambda's application log level, with its JSON log format: one of LOG_LEVELS, or a
   * token (a Terraform variable). Lines below it are dropped by Lambda. @default "INFO"
   */
  readonly logLevel?: string;
  /** Level of Lambda's own lines (START, END, REPORT are INFO): one of SYSTEM_LOG_LEVELS, or a token. @default "WARN" */
  readonly systemLogLevel?: string;
  /**
   * Active X-Ray tracing: `tracing_config` mode Active, and the role may write segments
   * (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`, on `*`: X-Ray has no resource-level
   * permissions). Lambda's own segments only: no tracing SDK is bundled. A token (a `bool`
   * variable) decides at plan time: mode Active or PassThrough, the X-Ray statement only when true.
   * @default false
   */
  readonly tracing?: boolean | IResolvable;
}
