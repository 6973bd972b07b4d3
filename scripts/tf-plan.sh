#!/usr/bin/env bash
# Proves one synthesized stack (or any Terraform folder) with Terraform itself, offline:
#   terraform init (only when its providers or backend changed), then plan, which validates first.
# Usage: scripts/tf-plan.sh <cdktf.out/stacks/<id>> [var-file...]
# The stack must be synthesized with OFFLINE=1 (supplied lookups, asset packaging,
# provider skips). Uses the local provider mirror when there is one
# (TF_PLUGIN_MIRROR, default /opt/tf-plugins), fake credentials, no refresh.
# The same code as `npm run tf:check` and the tests: scripts/terraform/prove.ts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec "$root/node_modules/.bin/tsx" "$root/scripts/terraform/prove.ts" "$@"
