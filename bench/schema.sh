#!/usr/bin/env bash
# Schema-only validation of a manifest corpus, accord against kubernetes-validate (PyPI), both
# given the same two cores and the same files; then the start-up time of a one-file lint.
#
# Usage: bench/schema.sh [CORPUS]            (default: /work/shared/corpus)
# Environment: RUNS (default 5), ACCORD (a built accord binary; default: build release),
#              KV_VENV (an existing venv with kubernetes-validate 1.37.0; default: a throwaway one).
# Needs python3 with venv and pip (network for the one install); uses hyperfine when present,
# else a timing loop that reports the median.
set -euo pipefail

corpus=${1:-/work/shared/corpus}
runs=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/accord-bench-schema.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [[ -z "${ACCORD:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    ACCORD="${CARGO_TARGET_DIR:-$root/target}/release/accord"
fi
# A private copy: a concurrent build cannot replace it mid-measurement.
cp "$ACCORD" "$work/accord"
accord="$work/accord"

venv=${KV_VENV:-$work/venv}
if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet kubernetes-validate==1.37.0
fi

find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0 | sort -z > "$work/files"
files=$(tr -cd '\0' < "$work/files" | wc -c)
half=$(( (files + 1) / 2 ))
pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0,1); fi

# Both exit non-zero when they find problems; only the time matters here.
accord_cmd="RAYON_NUM_THREADS=2 ${pin[*]} $accord lint --no-builtin --format json $corpus > /dev/null || true"
kv_cmd="${pin[*]} xargs -0 -P 2 -n $half $venv/bin/kubernetes-validate --strict --quiet < $work/files > /dev/null 2>&1 || true"

# Median wall-clock seconds of a shell command over $runs runs (after $3 warm-up runs), and, when
# hyperfine measured it, the mean CPU seconds (user + system), which a busy machine inflates less.
median() {
    local cmd=$1 name=$2 warmup=$3
    if command -v hyperfine > /dev/null; then
        hyperfine --style none --warmup "$warmup" --runs "$runs" --export-json "$work/$name.json" "$cmd" > /dev/null 2>&1
        python3 -c 'import json,statistics,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(statistics.median(r["times"]), r["user"] + r["system"])' "$work/$name.json"
    else
        for _ in $(seq "$warmup"); do bash -c "$cmd"; done
        local times=()
        for _ in $(seq "$runs"); do
            local start end
            start=$(date +%s.%N)
            bash -c "$cmd"
            end=$(date +%s.%N)
            times+=("$(echo "$end - $start" | bc -l)")
        done
        printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print ((NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2), "nan"}'
    fi
}

echo "corpus: $corpus ($files files), $runs runs, 2 cores"
read -r t_accord cpu_accord < <(median "$accord_cmd" accord 1)
read -r t_kv cpu_kv < <(median "$kv_cmd" kubernetes-validate 0)
python3 - "$files" "$t_accord" "$t_kv" "$cpu_accord" "$cpu_kv" <<'EOF'
import sys
files, a, k, ca, ck = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"accord lint --no-builtin        {a:8.3f} s  {files / a:9.1f} files/s  (CPU {ca:.2f} s)")
print(f"kubernetes-validate --strict    {k:8.3f} s  {files / k:9.1f} files/s  (CPU {ck:.2f} s)")
print(f"ratio                           {k / a:8.1f} x")
EOF

cat > "$work/small.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          limits: {memory: 128Mi}
EOF
small_cmd="$accord lint $work/small.yaml > /dev/null || true"
runs=30
read -r t_small cpu_small < <(median "$small_cmd" small 3)
python3 -c 'import sys; print(f"one small file (start-up + rules + schema): {float(sys.argv[1]) * 1000:.1f} ms median (CPU {float(sys.argv[2]) * 1000:.1f} ms)")' "$t_small" "$cpu_small"
