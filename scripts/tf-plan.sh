#!/usr/bin/env bash
# Proves one synthesized stack with Terraform itself, offline:
#   terraform init, validate, plan (saved), show -json (for the caller to inspect).
# Usage: scripts/tf-plan.sh <cdktf.out/stacks/<id>> [var-file]
# The stack must be synthesized with OFFLINE=1 (supplied lookups, asset packaging,
# provider skips). Uses the local provider mirror when there is one
# (TF_PLUGIN_MIRROR, default /opt/tf-plugins), fake credentials, no refresh.
set -euo pipefail
dir="$(cd "$1" && pwd)"
var_file="${2:-}"
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"

if [ -d "$mirror" ]; then
  cli_config="$(mktemp)"
  trap 'rm -f "$cli_config"' EXIT
  # The mirror doubles as the plugin cache, so init links the 700 MB provider instead of copying it.
  cat > "$cli_config" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
plugin_cache_dir = "$mirror"
plugin_cache_may_break_dependency_lock_file = true
RC
  export TF_CLI_CONFIG_FILE="$cli_config"
fi

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=offline-plan AWS_SECRET_ACCESS_KEY=offline-plan AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

cd "$dir"
terraform init -input=false -no-color >init.log 2>&1 || { cat init.log; exit 1; }
terraform validate -no-color
args=(-input=false -lock=false -refresh=false -no-color -out=tfplan)
[ -n "$var_file" ] && args+=("-var-file=$var_file")
terraform plan "${args[@]}" >plan.log 2>&1 || { cat plan.log; exit 1; }
tail -n 3 plan.log
terraform show -json tfplan >plan.json
