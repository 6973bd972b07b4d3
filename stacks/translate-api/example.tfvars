# Plan-time settings of the translate-api stack (the values shown are the defaults).
# Use: npx cdktf deploy translate-api --var-file=$PWD/stacks/translate-api/example.tfvars

# Requests per second each method of the stage accepts steadily, and in a burst; more get 429.
throttling_rate_limit  = 10
throttling_burst_limit = 20

# Days before DynamoDB's TTL deletes a history item; 0 keeps every translation (the hands-on).
history_ttl_days = 30

# true only if this region has no API Gateway CloudWatch role yet and no other stack owns it
# (kinesis-ingest does by default; see README "Before you deploy").
manage_api_gateway_account = false
