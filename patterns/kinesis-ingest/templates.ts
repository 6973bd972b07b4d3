/**
 * The Velocity mapping templates of the API Gateway -> Kinesis integration.
 * Kept apart from the stack so the tests can read what they prove; the tests
 * render the templates found in the synthesized JSON, not these constants.
 *
 * Only methods Java's String and JavaScript's String both have (`endsWith`)
 * are used, so velocityjs renders them as API Gateway does. No `${`: Terraform
 * would read it as an interpolation.
 */

/**
 * The seed's request template: the body, base64-encoded (Kinesis's JSON API
 * takes `Data` as base64), into `streamName`, partitioned by the request id
 * (records spread over the shards evenly).
 */
export const PUT_RECORD_REQUEST_TEMPLATE = (streamName: string): string => `{
"StreamName": "${streamName}",
"PartitionKey": "$context.requestId",
"Data": "$util.base64Encode($input.body)"
}
`;

/** Kinesis error types (`__type`, HTTP 400) that mean "slow down": the client gets 429 and retries. */
export const THROTTLING_ERROR_TYPES = [
  "ProvisionedThroughputExceededException",
  "KMSThrottlingException",
  "LimitExceededException",
] as const;

/** Kinesis error types (HTTP 400) caused by the request itself: the client gets 400. */
export const CLIENT_ERROR_TYPES = ["ValidationException", "InvalidArgumentException", "SerializationException"] as const;

export const MESSAGES = {
  throttled: "Too many requests: the stream is throttling writes. Retry with backoff.",
  invalid: "The request body could not be stored as a record (a record holds at most 1 MiB).",
  failed: "Internal server error: the record was not stored. Retry later.",
} as const;

const anyOf = (types: readonly string[]): string => types.map((t) => `$type.endsWith("${t}")`).join(" || ");

/**
 * For Kinesis 4xx. Kinesis answers throttling and its own configuration faults
 * (stream not found, access denied, KMS key disabled) with 400 too, so the
 * status comes from the error type: throttling -> 429, a bad request -> 400,
 * anything else -> 500 (the API's fault; it also trips the 5XXError alarm).
 */
export const CLIENT_ERROR_TEMPLATE = `#set($type = $input.path('$.__type'))
#if(${anyOf(THROTTLING_ERROR_TYPES)})
#set($context.responseOverride.status = 429)
{"message": "${MESSAGES.throttled}", "requestId": "$context.requestId"}
#elseif(${anyOf(CLIENT_ERROR_TYPES)})
{"message": "${MESSAGES.invalid}", "requestId": "$context.requestId"}
#else
#set($context.responseOverride.status = 500)
{"message": "${MESSAGES.failed}", "requestId": "$context.requestId"}
#end
`;

/** For Kinesis 5xx (InternalFailure, ServiceUnavailable): the record was not stored. */
export const SERVER_ERROR_TEMPLATE = `{"message": "${MESSAGES.failed}", "requestId": "$context.requestId"}
`;
