/**
 * The package entry (`npm run build` -> dist/index.js): the building blocks
 * any CDKTF stack can use. The pattern constructs join here as they land in
 * patterns/. Everything exported is public surface: see CHANGELOG.md for what
 * a change to it means for the version.
 */
export * from "./blocks/alarm-topic";
export * from "./blocks/api-custom-domain";
export * from "./blocks/api-gateway-account-logging";
export * from "./blocks/api-key-clients";
export * from "./blocks/dead-letter-queue";
export * from "./blocks/defaults";
export * from "./blocks/dns-validated-certificate";
export * from "./blocks/entry-points";
export * from "./blocks/environment";
export * from "./blocks/http-api-stage";
export * from "./blocks/lambda/nodejs-function";
export * from "./blocks/rate-limit-web-acl";
export * from "./blocks/rest-api-front-door";
export * from "./blocks/rest-api-stage";
export * from "./blocks/stage-settings";
export * from "./blocks/variables";
