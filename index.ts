/**
 * The package entry (`npm run build` -> dist/index.js): the pattern constructs
 * and the building blocks any CDKTF stack can use. Everything exported is
 * public surface: see CHANGELOG.md for what a change to it means for the version.
 */
export * from "./patterns/kinesis-ingest";
export * from "./patterns/event-log-api";
export * from "./patterns/translate-api";
export * from "./patterns/webhook-proxy";
export * from "./patterns/media-alb";

export * from "./blocks/alarm-topic";
export * from "./blocks/api-custom-domain";
export * from "./blocks/api-gateway-account-logging";
export * from "./blocks/api-key-clients";
export * from "./blocks/dead-letter-queue";
export * from "./blocks/defaults";
export * from "./blocks/dns-validated-certificate";
export * from "./blocks/entry-points";
export * from "./blocks/deployment";
export * from "./blocks/http-api-stage";
export * from "./blocks/lambda/nodejs-function";
export * from "./blocks/pattern";
export * from "./blocks/rate-limit-web-acl";
export * from "./blocks/references";
export * from "./blocks/rest-api-front-door";
export * from "./blocks/rest-api-stage";
export * from "./blocks/stage-settings";
export * from "./blocks/variables";
