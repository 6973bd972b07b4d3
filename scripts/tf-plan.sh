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
# shellcheck source=tf-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/tf-env.sh"
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
