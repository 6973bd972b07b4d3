# Plan-time settings of the media-alb stack (the values shown are the defaults).
# Use: npx cdktf deploy media-alb --var-file=$PWD/stacks/media-alb/example.tfvars
#  or: terraform plan -var-file=../../../stacks/media-alb/example.tfvars (in cdktf.out/stacks/media-alb)

# Public Route53 hosted zone you own; the API answers on https://api-lb.<zone_name>.
zone_name = "example.com"

# Space-separated regular expressions for the Origin header; "" allows https://<zone_name> and
# https://*.<zone_name> only.
allowed_origins = ""

# The seed turns deletion protection on; apply with false before `destroy`.
deletion_protection = true

# Deletion protection of both tables; apply with false before `destroy` too.
table_deletion_protection = true
