const t0 = performance.now();
import { loadEnvironment } from "/work/main/config";
import { buildApp } from "/work/main/main";
const t1 = performance.now();
const app = buildApp(loadEnvironment({ LAMBDA_PACKAGING: "archive" }), process.argv[2]);
const t2 = performance.now();
app.synth();
const t3 = performance.now();
console.log(`start->import ${(t0).toFixed(0)} imports ${(t1-t0).toFixed(0)} build ${(t2-t1).toFixed(0)} synth ${(t3-t2).toFixed(0)} total ${t3.toFixed(0)}`);
