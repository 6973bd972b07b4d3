// Registers cdktf's Testing matchers (toHaveResource, toHaveResourceWithProperties, ...).
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
