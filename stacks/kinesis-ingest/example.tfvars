# Plan-time settings of the kinesis-ingest stack (the values shown are the defaults).
# Use: npx cdktf deploy kinesis-ingest --var-file=$PWD/stacks/kinesis-ingest/example.tfvars
#  or: terraform plan -var-file=../../../stacks/kinesis-ingest/example.tfvars (in cdktf.out/stacks/kinesis-ingest)

# Requests per second each method of the stage accepts steadily, and in a burst; more get 429.
throttling_rate_limit  = 1000
throttling_burst_limit = 2000

# API Gateway execution logging: OFF, ERROR or INFO (data trace stays off: it logs request bodies).
api_logging_level = "ERROR"

# This stack owns the region's API Gateway CloudWatch role by default; false if another stack
# (or something outside this project) already does (see README "The account-level API Gateway logging role").
manage_api_gateway_account = true
