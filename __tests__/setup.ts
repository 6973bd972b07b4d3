// Registers cdktf's Testing matchers (toHaveResource, toHaveResourceWithProperties, ...).
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

// The handlers run on Lambda's Node.js 22; tests here may run on Node.js 20, where every test
// file's first AWS SDK client prints a support notice that buries the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

// cdktf captures a full stack trace for every token it creates (into a plain object, not an
// Error); mapping each of those frames through jest's source maps costs ~20 % of a stack
// test's CPU. Errors keep their source-mapped traces; token creation traces stay unmapped.
const sourceMapped = Error.prepareStackTrace as ((error: Error, frames: NodeJS.CallSite[]) => unknown) | undefined;
Error.prepareStackTrace = (target: unknown, frames: NodeJS.CallSite[]): unknown =>
  sourceMapped && (target instanceof Error || Object.prototype.toString.call(target) === "[object Error]")
    ? sourceMapped(target as Error, frames)
    : [String(target), ...frames.map((frame) => `    at ${frame}`)].join("\n");

// Handlers log and count through Powertools (handlers/shared/observability.ts): in dev mode it writes through the
// global console, where suites spy on it, and keeps metrics on. Bundles run as Lambda runs them (support/lambda-process.ts) do not inherit this.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
