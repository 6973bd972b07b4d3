# Values for `terraform plan` / `cdktf deploy --var-file` of the event-log-api stack.
# domain_name has no default: it must be a domain whose Route53 hosted zone you own.
domain_name   = "example.com"
api_subdomain = "sample-http-api" # the API answers on https://sample-http-api.example.com

# Stage-wide throttling of the HTTP API (all routes together).
throttling_rate_limit  = 10
throttling_burst_limit = 20
