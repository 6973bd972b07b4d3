/**
 * The project's configuration: one typed place for the deployment configuration.
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
 * | `STATE_LOCK_TABLE`, `STATE_REGION` | DynamoDB lock table, bucket region (only with `STATE_BUCKET`) |
 * | `STATE_KMS_KEY_ID` | customer managed KMS key (ARN or alias ARN) that encrypts the S3 state: state holds API keys (only with `STATE_BUCKET`) |
 * | `OFFLINE` | `1`/`true`: plan without AWS: supplied lookups, asset packaging, provider skips |
 *
 * Every value is checked in `loadDeployment`: a set-but-empty variable, an unknown region, a
 * malformed e-mail, a boolean other than 1/0/true/false, state settings without `STATE_BUCKET`
 * are errors, one line each, never a silent fallback.
 */
import { DeploymentConfig, LambdaPackaging, StateBackend, SuppliedLookups } from "./blocks/deployment";

export const defaultDeployment: DeploymentConfig = {
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

/**
 * The regions hashicorp/aws 5.100.0 (the pinned provider) knows, from its endpoints table. A name
 * outside it is a typo: it would synthesize and even plan offline (region validation is skipped
 * there), and fail only on deploy.
 */
export const AWS_REGIONS: readonly string[] = [
  "af-south-1",
  "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "ca-central-1", "ca-west-1",
  "cn-north-1", "cn-northwest-1",
  "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-isoe-west-1",
  "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1",
  "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isof-east-1", "us-isof-south-1",
];

/** Every problem of a configuration, one line each (`VARIABLE ...: what is wrong and what would do`). */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigurationError";
  }
}

const VARIABLES = [
  "APP_ENV",
  "AWS_REGION",
  "LAMBDA_PACKAGING",
  "ALARM_EMAIL",
  "STATE_BUCKET",
  "STATE_LOCK_TABLE",
  "STATE_REGION",
  "STATE_KMS_KEY_ID",
  "OFFLINE",
] as const;
type Variable = (typeof VARIABLES)[number];

/** Reads and checks the variables, collecting every problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly vars: NodeJS.ProcessEnv) {
    for (const name of VARIABLES) {
      // An empty value is most often a slip (`APP_ENV= npm run synth`); silently using the default hides it.
      if (vars[name] !== undefined && vars[name]?.trim() === "") {
        this.problems.push(`${name} is set but empty: give it a value, or unset it for the default`);
      }
    }
  }

  /** The value, or undefined when unset or empty (empty is already a problem). */
  get(name: Variable): string | undefined {
    const value = this.vars[name]?.trim();
    return value ? value : undefined;
  }

  /** The value if `valid` accepts it; otherwise records `${name} must be <rule>, got "..."`. */
  check(name: Variable, valid: (value: string) => boolean, rule: string): string | undefined {
    const value = this.get(name);
    if (value === undefined || valid(value)) return value;
    this.problems.push(`${name} must be ${rule}, got "${value}"`);
    return undefined;
  }

  /** A boolean variable: 1/true or 0/false (any case). */
  flag(name: Variable): boolean {
    const value = this.check(name, (v) => /^(1|0|true|false)$/i.test(v), "1, 0, true or false");
    return value !== undefined && /^(1|true)$/i.test(value);
  }
}

const isRegion = (value: string): boolean => AWS_REGIONS.includes(value);
const REGION_RULE = "a region hashicorp/aws 5.100.0 knows (such as ap-northeast-1 or us-east-1)";

/**
 * The local state file's qualifier: what differs from the default environment
 * and region (`prod`, `us-east-1`, `prod.us-east-1`), so `APP_ENV=prod` never
 * plans against dev's state; none for the default, whose files keep the names
 * they always had (`terraform.<stack>.tfstate`).
 */
export function localStateQualifier(name: string, region: string): string | undefined {
  const parts = [name !== defaultDeployment.name ? name : undefined, region !== defaultDeployment.region ? region : undefined];
  const qualifier = parts.filter((part): part is string => part !== undefined).join(".");
  return qualifier === "" ? undefined : qualifier;
}

function stateBackend(read: Reader, qualifier: string | undefined): StateBackend {
  const bucket = read.check(
    "STATE_BUCKET",
    (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    "an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)",
  );
  const lockTable = read.get("STATE_LOCK_TABLE");
  const region = read.check("STATE_REGION", isRegion, REGION_RULE);
  const kmsKeyId = read.check("STATE_KMS_KEY_ID", (v) => /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/.test(v), "a KMS key or alias ARN");
  if (read.get("STATE_BUCKET") === undefined) {
    // Without a bucket the state is local: these would be ignored without a word.
    for (const name of ["STATE_LOCK_TABLE", "STATE_REGION", "STATE_KMS_KEY_ID"] as const) {
      if (read.get(name) !== undefined) read.problems.push(`${name} needs STATE_BUCKET (it configures the S3 state backend): set STATE_BUCKET or unset ${name}`);
    }
  }
  if (bucket === undefined) return qualifier ? { kind: "local", qualifier } : { kind: "local" };
  return { kind: "s3", bucket, region, dynamodbLockTable: lockTable, kmsKeyId };
}

/**
 * The environment selected by the process's environment variables. Every value is checked here,
 * and all problems are reported together (`ConfigurationError`, one line per problem).
 */
export function loadDeployment(vars: NodeJS.ProcessEnv = process.env): DeploymentConfig {
  const read = new Reader(vars);
  const offline = read.flag("OFFLINE");
  const name =
    read.check(
      "APP_ENV",
      // Not a region's name: the local state file names environments and regions alike (localStateQualifier).
      (v) => /^[a-z][a-z0-9-]{0,15}$/.test(v) && !isRegion(v),
      "lower-case letters, digits and dashes, starting with a letter (max 16), not a region's name",
    ) ?? defaultDeployment.name;
  const region = read.check("AWS_REGION", isRegion, REGION_RULE) ?? defaultDeployment.region;
  const lambdaPackaging = (read.check("LAMBDA_PACKAGING", (v) => v === "archive" || v === "asset", '"archive" or "asset"') ??
    (offline ? "asset" : defaultDeployment.lambdaPackaging)) as LambdaPackaging;
  const alarmEmail = read.check("ALARM_EMAIL", (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), "an e-mail address (name@example.com)");
  const backend = stateBackend(read, localStateQualifier(name, region));
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return {
    ...defaultDeployment,
    name,
    region,
    lambdaPackaging,
    alarmEmail,
    stateBackend: backend,
    lookups: offline ? offlineLookups : defaultDeployment.lookups,
    offline,
  };
}

/**
 * For entry points (synth, export): the environment, or each configuration problem on its own
 * line on stderr and exit status 2 -- a person's mistake, not a crash, so no stack trace.
 */
export function loadDeploymentOrExit(vars: NodeJS.ProcessEnv = process.env): DeploymentConfig {
  try {
    return loadDeployment(vars);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    for (const problem of err.problems) console.error(`configuration: ${problem}`);
    process.exit(2);
  }
}
