#!/usr/bin/env bash
# Sourced by tf-schema.sh to run Terraform offline: no prompts, no version check, and the local
# provider mirror when there is one (TF_PLUGIN_MIRROR, default /opt/tf-plugins) instead of
# registry.terraform.io. tf-plan.sh does not source it: it runs scripts/terraform/prove.ts, which
# sets its own (terraformEnv, cliConfig). docs/operations.md "Plan without an AWS account" shows
# the same settings for a hand-run terraform.
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"

if [ -d "$mirror" ]; then
  # The providers the mirror holds come from it; any other (e.g. hashicorp/archive) from the registry.
  mirrored="$(cd "$mirror" && for p in registry.terraform.io/*/*; do [ -d "$p" ] && printf '"%s", ' "$p"; done)"
  mirrored="${mirrored%, }"
  cli_config="$(mktemp)"
  trap 'rm -f "$cli_config"' EXIT
  # The mirror doubles as the plugin cache, so init links the 700 MB provider instead of copying it.
  cat > "$cli_config" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = [$mirrored]
  }
  direct {
    exclude = [$mirrored]
  }
}
plugin_cache_dir = "$mirror"
plugin_cache_may_break_dependency_lock_file = true
RC
  export TF_CLI_CONFIG_FILE="$cli_config"
fi

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
