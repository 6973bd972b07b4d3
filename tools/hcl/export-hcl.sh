#!/usr/bin/env bash
# The way out of archived CDKTF: every stack as plain Terraform HCL (cdktf.out.hcl/stacks/<id>/cdk.tf
# plus its assets). See tools/hcl/export-hcl.ts; `npm run synth:hcl [-- <outdir>]`.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --require tsx/cjs tools/hcl/export-hcl.ts "$@"
