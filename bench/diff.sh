#!/usr/bin/env bash
# Benchmark `accord diff` (and `lint --rev`) on a generated repository with 5,000 objects in
# 1,000 files and a change touching 10 files. Uses hyperfine when installed
# (`apt-get install hyperfine`), else a median of 7 runs.
#
# Usage: bench/diff.sh [SERVICES] [CHANGED]     (env ACCORD=path/to/accord to skip the build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
services="${1:-1000}"
changed="${2:-10}"
if [[ -z "${ACCORD:-}" ]]; then
  (cd "$here/.." && cargo build --release --quiet)
  ACCORD="${CARGO_TARGET_DIR:-$here/../target}/release/accord"
fi
repo="$(mktemp -d)/bench-repo"
read -r base head < <(python3 "$here/gen_repo.py" "$repo" "$services" "$changed")
objects=$((services * 5))
echo "repository: $repo ($objects objects in $services files; change touches $changed files; $(nproc) cores)"
cd "$repo"
"$ACCORD" diff "$base..$head" >/dev/null 2>&1 || true
("$ACCORD" diff "$base..$head" || true) | tail -1
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 10 -N -i \
    "$ACCORD diff $base..$head --format json" \
    "$ACCORD diff $base..$head --format text" \
    "$ACCORD lint --rev $head --format json"
else
  for cmd in "diff $base..$head --format json" "lint --rev $head --format json"; do
    times=()
    for _ in 1 2 3 4 5 6 7; do
      s=$(date +%s%N); "$ACCORD" $cmd >/dev/null || true; e=$(date +%s%N)
      times+=($(( (e - s) / 1000000 )))
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    echo "accord $cmd: median ${sorted[3]} ms (runs: ${times[*]})"
  done
fi
