/**
 * The project's configuration: one typed place for per-environment settings.
 * Defaults reproduce the seeds; environment variables select and adjust them,
 * so `npm run synth` works offline with no AWS credentials and no setup.
 *
 * | variable | effect |
 * |---|---|
 * | `APP_ENV` | environment name (`dev`, `prod`, ...); prefixes names, tags |
 * | `AWS_REGION` | region (default `ap-northeast-1`) |
 * | `LAMBDA_PACKAGING` | `archive` (default, archive_file as the seeds do) or `asset` |
 * | `ALARM_EMAIL` | e-mail subscribed to every stack's alarm topic |
 * | `STATE_BUCKET` | switch state to the S3 backend in this bucket (with `STATE_LOCK_TABLE` for DynamoDB locking) |
 * | `OFFLINE` | `1`: plan without AWS: supplied lookups, asset packaging, provider skips |
 */
import { EnvironmentConfig, LambdaPackaging, StateBackend, SuppliedLookups } from "./constructs/environment";

export const defaultEnvironment: EnvironmentConfig = {
  name: "dev",
  project: "spike-proof-serverless",
  region: "ap-northeast-1",
  lambdaPackaging: "archive",
  logRetentionDays: 14,
  stateBackend: { kind: "local" },
  lookups: {},
  offline: false,
};

/**
 * Stand-ins for every AWS lookup, used by `OFFLINE=1` (and so by the
 * `terraform plan` check in the tests). They only need to be well formed.
 */
export const offlineLookups: SuppliedLookups = {
  accountId: "123456789012",
  hostedZoneId: "Z0123456789ABCDEFGHIJ",
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
};

function packaging(value: string | undefined, fallback: LambdaPackaging): LambdaPackaging {
  if (value === undefined || value === "") return fallback;
  if (value === "archive" || value === "asset") return value;
  throw new Error(`LAMBDA_PACKAGING must be "archive" or "asset", got "${value}"`);
}

function stateBackend(vars: NodeJS.ProcessEnv): StateBackend {
  if (!vars.STATE_BUCKET) return { kind: "local" };
  return {
    kind: "s3",
    bucket: vars.STATE_BUCKET,
    region: vars.STATE_REGION || undefined,
    dynamodbLockTable: vars.STATE_LOCK_TABLE || undefined,
  };
}

/** The environment selected by the process's environment variables. */
export function loadEnvironment(vars: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const offline = vars.OFFLINE === "1" || vars.OFFLINE === "true";
  const name = vars.APP_ENV || defaultEnvironment.name;
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(name)) {
    throw new Error(`APP_ENV must be lower-case letters, digits and dashes (max 16), got "${name}"`);
  }
  return {
    ...defaultEnvironment,
    name,
    region: vars.AWS_REGION || defaultEnvironment.region,
    lambdaPackaging: packaging(vars.LAMBDA_PACKAGING, offline ? "asset" : defaultEnvironment.lambdaPackaging),
    alarmEmail: vars.ALARM_EMAIL || undefined,
    stateBackend: stateBackend(vars),
    lookups: offline ? offlineLookups : defaultEnvironment.lookups,
    offline,
  };
}
