#!/usr/bin/env bash
# Prints the schemas of the providers a Terraform folder requires (`terraform providers schema
# -json`), which the HCL export needs to tell nested blocks from attributes.
# Usage: tools/hcl/tf-schema.sh <folder with required_providers>
set -euo pipefail
dir="$(cd "$1" && pwd)"
# shellcheck source=../tf-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tf-env.sh"
cd "$dir"
terraform init -input=false -backend=false -no-color >init.log 2>&1 || { cat init.log >&2; exit 1; }
terraform providers schema -json
