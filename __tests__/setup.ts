// Registers cdktf's Testing matchers (toHaveResource, toHaveResourceWithProperties, ...).
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

// The handlers run on Lambda's Node.js 22; tests here may run on Node.js 20, where every test
// file's first AWS SDK client prints a support notice that buries the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
