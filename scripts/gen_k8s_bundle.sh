#!/usr/bin/env bash
# Regenerate accord's embedded Kubernetes schema bundle (schemas/k8s/).
#
#   scripts/gen_k8s_bundle.sh
#
# Steps: download the pinned kubernetes-validate wheel from PyPI, verify its
# sha256, build the deduplicated delta bundle (Bundle format v1) with
# scripts/gen_k8s_bundle.py, verify every minor round-trips to the wheel,
# compress with the zstd CLI (level 19, single-threaded, plain frame), verify
# the .zst decompresses to the same bytes, and write into schemas/k8s/:
#   bundle.json.zst, SOURCE.toml, api-lifecycle.tsv
#
# Everything is built in a temporary directory; only the final files are
# copied into the repo. The JSON is deterministic (its sha256 is pinned in
# SOURCE.toml); the .zst bytes may differ between zstd versions.
#
# Requirements: bash, python3 (with pip, for the download only), sha256sum,
# zstd CLI (Debian/Ubuntu: apt-get install zstd). Run on a developer machine or
# in CI; build.rs must never run this (no network at build time).
#
# Environment:
#   KV_WHEEL=/path/to/kubernetes_validate-1.37.0-py3-none-any.whl
#       use an already-downloaded wheel instead of pip download (still verified)
#   K8S_BUNDLE_FACTS=/path/to/facts.txt
#       also write a human-readable summary (per-minor counts, removed APIs)
#   K8S_BUNDLE_JSON=/path/to/bundle.json
#       also keep a copy of the uncompressed JSON
set -euo pipefail

KV_VERSION="1.37.0"
KV_WHEEL_NAME="kubernetes_validate-${KV_VERSION}-py3-none-any.whl"
KV_WHEEL_SHA256="85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
ZSTD_LEVEL=19
# A 1 MiB window (rather than one as large as the 4 MiB input) costs ~8 KiB of compressed size
# and halves the memory the decoder touches, which is most of a one-file lint's start-up time.
ZSTD_WINDOW_LOG=20

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/.." && pwd)"
out="${repo}/schemas/k8s"

command -v python3 >/dev/null || { echo "error: python3 not found" >&2; exit 1; }
command -v sha256sum >/dev/null || { echo "error: sha256sum not found" >&2; exit 1; }
command -v zstd >/dev/null || { echo "error: zstd CLI not found (Debian/Ubuntu: apt-get install zstd)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/accord-k8s-bundle.XXXXXX")"
trap 'rm -rf -- "${tmp}"' EXIT

# 1. Fetch the pinned wheel.
if [[ -n "${KV_WHEEL:-}" ]]; then
    echo "== using wheel ${KV_WHEEL}"
    mkdir -p "${tmp}/kv"
    cp -- "${KV_WHEEL}" "${tmp}/kv/${KV_WHEEL_NAME}"
else
    echo "== pip download kubernetes-validate==${KV_VERSION}"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        "kubernetes-validate==${KV_VERSION}" -d "${tmp}/kv"
fi
wheel="${tmp}/kv/${KV_WHEEL_NAME}"
[[ -f "${wheel}" ]] || { echo "error: ${KV_WHEEL_NAME} not found after download" >&2; exit 1; }

# 2. Check it against the pin.
echo "== verify wheel sha256"
(cd "${tmp}/kv" && echo "${KV_WHEEL_SHA256}  ${KV_WHEEL_NAME}" | sha256sum -c -)

# 3. Build the JSON (the generator verifies every minor round-trips to the wheel).
echo "== generate bundle"
facts_args=()
if [[ -n "${K8S_BUNDLE_FACTS:-}" ]]; then
    facts_args=(--facts "${tmp}/facts.txt")
fi
zstd_note="zstd -${ZSTD_LEVEL} --single-thread --zstd=wlog=${ZSTD_WINDOW_LOG} (plain zstd frame with content checksum; no dictionary, no --long)"
python3 "${here}/gen_k8s_bundle.py" "${wheel}" "${tmp}/bundle.json" \
    --lifecycle "${tmp}/api-lifecycle.tsv" \
    --source-toml "${tmp}/SOURCE.toml" \
    --compression "${zstd_note}" \
    ${facts_args[@]+"${facts_args[@]}"}
json_sha="$(sha256sum "${tmp}/bundle.json" | cut -d' ' -f1)"

# 4. Compress: single-threaded so the output does not depend on core count.
echo "== compress ($(zstd --version))"
zstd -q --no-progress --single-thread -"${ZSTD_LEVEL}" --zstd=wlog="${ZSTD_WINDOW_LOG}" -f "${tmp}/bundle.json" -o "${tmp}/bundle.json.zst"
zstd -q -d -c "${tmp}/bundle.json.zst" > "${tmp}/roundtrip.json"
rt_sha="$(sha256sum "${tmp}/roundtrip.json" | cut -d' ' -f1)"
if [[ "${rt_sha}" != "${json_sha}" ]]; then
    echo "error: decompressed bundle sha256 ${rt_sha} != ${json_sha}" >&2
    exit 1
fi
# Verify the compressed artefact itself, exactly as the Rust side will see it.
python3 "${here}/gen_k8s_bundle.py" --check "${wheel}" "${tmp}/roundtrip.json"

# 5. Install the outputs.
prev_sha=""
if [[ -f "${out}/SOURCE.toml" ]]; then
    prev_sha="$(sed -n 's/^json_sha256 = "\([0-9a-f]*\)"$/\1/p' "${out}/SOURCE.toml")"
fi
mkdir -p "${out}"
cp -- "${tmp}/bundle.json.zst" "${out}/bundle.json.zst"
cp -- "${tmp}/SOURCE.toml" "${out}/SOURCE.toml"
cp -- "${tmp}/api-lifecycle.tsv" "${out}/api-lifecycle.tsv"
if [[ -n "${K8S_BUNDLE_FACTS:-}" ]]; then
    cp -- "${tmp}/facts.txt" "${K8S_BUNDLE_FACTS}"
fi
if [[ -n "${K8S_BUNDLE_JSON:-}" ]]; then
    cp -- "${tmp}/bundle.json" "${K8S_BUNDLE_JSON}"
fi

zst_bytes="$(wc -c < "${out}/bundle.json.zst" | tr -d ' ')"
zst_sha="$(sha256sum "${out}/bundle.json.zst" | cut -d' ' -f1)"
echo "== done"
echo "json sha256: ${json_sha}"
echo "zst: ${zst_bytes} bytes, sha256 ${zst_sha}"
if [[ -n "${prev_sha}" ]]; then
    if [[ "${prev_sha}" == "${json_sha}" ]]; then
        echo "json unchanged from previous SOURCE.toml"
    else
        echo "json CHANGED (previous ${prev_sha}); review the counts above"
    fi
fi
echo "wrote ${out}/{bundle.json.zst,SOURCE.toml,api-lifecycle.tsv}"
