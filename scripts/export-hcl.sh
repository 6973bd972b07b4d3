#!/usr/bin/env bash
# The way out of archived CDKTF: synthesize every stack as plain Terraform HCL
# (cdktf.out.hcl/stacks/<id>/cdk.tf plus its assets). From there a stack is an
# ordinary Terraform root module: `terraform init && terraform plan` in its folder,
# no Node.js or cdktf needed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-cdktf.out.hcl}"
export CHECKPOINT_DISABLE=1 # no version-check call home
rm -rf "$out"
npx cdktf synth --hcl --output "$out"
ls "$out"/stacks/*/cdk.tf
