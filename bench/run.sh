#!/usr/bin/env bash
# accord benchmark: one command, on a fresh machine, prints a table and writes bench/RESULTS.md.
#
#   bench/run.sh [--quick] [--runs N] [--peer-budget SECONDS] [--corpora real,1k,10k,100k]
#                [--corpus DIR] [--full-peers] [--no-peers] [--out FILE]
#
# Installs what it needs: hyperfine and GNU time from Debian's packages (apt-get, when missing),
# checkov, kubernetes-validate and yamllint into a throwaway virtualenv under $WORK (default
# /tmp/accord-bench). Builds accord and the bare-parse bench (examples/parse_bench.rs) in release
# mode, copies both binaries to $WORK/bin (so a concurrent build cannot swap them mid-run),
# generates the synthetic corpora (bench/gen_corpus.py, deterministic) and runs bench/bench.py.
#
# --quick: corpora real,1k,10k; 5 runs; peers on the 1k corpus and one small file only.
# Environment: WORK (scratch dir), CARGO_TARGET_DIR (honoured), and the ACCORD_BENCH_*_ARGS
# overrides described in bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
WORK="${WORK:-/tmp/accord-bench}"
mkdir -p "$WORK/bin"

cmdline="$*"
quick=0
for a in "$@"; do
  [[ "$a" == "--quick" ]] && quick=1
done
if [[ $quick == 1 ]]; then
  args=()
  for a in "$@"; do [[ "$a" != "--quick" ]] && args+=("$a"); done
  set -- --corpora real,1k,10k --peer-budget 60 "${args[@]+"${args[@]}"}"
fi

need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[[ -x /usr/bin/time ]] || need_apt+=(time)
command -v git >/dev/null || need_apt+=(git)
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]} (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

venv="$WORK/venv"
if [[ "${*}" != *--no-peers* ]]; then
  if [[ ! -x "$venv/bin/checkov" || ! -x "$venv/bin/kubernetes-validate" || ! -x "$venv/bin/yamllint" ]]; then
    echo "installing checkov, kubernetes-validate, yamllint into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check checkov kubernetes-validate yamllint
  fi
fi

echo "building accord and parse_bench (release)" >&2
(cd "$repo" && cargo build --release --quiet --bin accord --example parse_bench)
target="${CARGO_TARGET_DIR:-$repo/target}"
cp "$target/release/accord" "$WORK/bin/accord"
cp "$target/release/examples/parse_bench" "$WORK/bin/parse_bench"

exec python3 "$here/bench.py" --accord "$WORK/bin/accord" --parse-bench "$WORK/bin/parse_bench" \
  --venv "$venv" --work "$WORK" --cmdline "$cmdline" "$@"
