# Values for `terraform plan` / `cdktf deploy --var-file` of the webhook-proxy stack: the seed's
# data.tfvars, key for key. Where the seed has a placeholder ("zone_id", "arn_of_domain_cert"),
# a well-formed stand-in takes its place: the variables' validation (and the AWS provider, for the
# certificate ARN) refuse text that cannot be an id. Replace all of them with your own.
# The seed's app_env is not a variable here: the environment is APP_ENV at synth (see README, Configuration).
upstream                       = "example.com" # the upstream host; deliveries are HTTPS
reserved_concurrent_executions = 1             # at most this many deliveries at once (see README "Concurrency: reserved vs maximum")
zone_id                        = "Z0123456789ABCDEFGHIJ"                                                            # seed: "zone_id"
domain_cert_arn                = "arn:aws:acm:ap-northeast-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" # seed: "arn_of_domain_cert"
domain_name                    = "webhook.example.com" # not in the seed's data.tfvars, yet its variable has no default
