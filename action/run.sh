#!/usr/bin/env bash
# Run `accord review` with the action's inputs. Inputs arrive as environment variables (never
# interpolated into this script: no injection through input values) and become separate
# arguments: multi-value inputs (paths, policies) are split on newlines and spaces.
set -euo pipefail
unset BASH_ENV ENV CDPATH

args=(review --mode "${INPUT_MODE:-annotations}" --fail-on "${INPUT_FAIL_ON:-error}")
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_KUBERNETES_VERSION:-}" ] || args+=(--kubernetes-version "$INPUT_KUBERNETES_VERSION")
[ -z "${INPUT_SARIF_FILE:-}" ] || args+=(--format "sarif=$INPUT_SARIF_FILE")
while read -r -a words; do
  for p in "${words[@]}"; do args+=(--policy "$p"); done
done <<< "${INPUT_POLICIES:-}"
paths=()
while read -r -a words; do
  for p in "${words[@]}"; do paths+=("$p"); done
done <<< "${INPUT_PATHS:-}"
if [ "${#paths[@]}" -gt 0 ]; then
  args+=(--)
  args+=("${paths[@]}")
fi

if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  echo "sarif-file=$INPUT_SARIF_FILE" >> "${GITHUB_OUTPUT:-/dev/null}"
fi
echo "accord ${args[*]}"
exec accord "${args[@]}"
