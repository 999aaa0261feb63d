#!/usr/bin/env bash
# Install the accord binary for this runner: download the pinned release archive, check its
# sha256, unpack it into $RUNNER_TEMP/accord/bin and add that to $GITHUB_PATH. When no archive
# can be downloaded (no release for this platform or version, network trouble), build it with
# `cargo install --locked` instead. A checksum mismatch is never "fixed" by the fallback: it fails.
#
# Inputs (environment): ACCORD_VERSION (empty: the version in action/VERSION), ACCORD_REPO
# (owner/name to download from; default $GITHUB_ACTION_REPOSITORY), RUNNER_OS, RUNNER_ARCH,
# RUNNER_TEMP, GITHUB_PATH, GITHUB_SERVER_URL.
set -euo pipefail
# Never let the caller's environment inject shell code into this script or its children.
unset BASH_ENV ENV CDPATH

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pinned="$(tr -d ' \r\n' < "$here/VERSION")"
version="${ACCORD_VERSION:-}"
version="${version#v}"
[ -n "$version" ] || version="$pinned"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  echo "::error title=accord::version '$version' is not a release version (expected e.g. $pinned)"
  exit 1
fi
repo="${ACCORD_REPO:-${GITHUB_ACTION_REPOSITORY:-}}"
if ! [[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
  echo "::error title=accord::cannot tell which repository to install accord from (set ACCORD_REPO=owner/name)"
  exit 1
fi
server="${GITHUB_SERVER_URL:-https://github.com}"

case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ext=tar.gz ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ext=tar.gz ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ext=tar.gz ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ext=tar.gz ;;
  Windows/X64) target=x86_64-pc-windows-msvc ext=zip ;;
  *) target="" ext="" ;;
esac

dest="${RUNNER_TEMP:-/tmp}/accord"
bin="$dest/bin"
mkdir -p "$bin"
exe=accord
[ "$ext" = zip ] && exe=accord.exe

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

fetch() { # url file
  curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location --retry 5 --retry-delay 2 --output "$2" "$1"
}

installed=""
if [ -n "$target" ]; then
  asset="accord-v${version}-${target}.${ext}"
  url="$server/$repo/releases/download/v${version}/$asset"
  tmp="$(mktemp -d)"
  echo "Downloading $url"
  if fetch "$url" "$tmp/$asset"; then
    expected="$(awk -v a="$asset" '$2 == a && $1 !~ /^#/ { print $1 }' "$here/checksums.txt")"
    if [ -z "$expected" ]; then
      if fetch "$url.sha256" "$tmp/$asset.sha256"; then
        expected="$(awk '{ print $1; exit }' "$tmp/$asset.sha256")"
      fi
    fi
    if [ -z "$expected" ]; then
      echo "::error title=accord::no sha256 for $asset (neither pinned in the action nor published with the release)"
      exit 1
    fi
    actual="$(sha256_of "$tmp/$asset")"
    if [ "$actual" != "$expected" ]; then
      echo "::error title=accord::sha256 mismatch for $asset: expected $expected, got $actual"
      exit 1
    fi
    echo "sha256 OK ($actual)"
    if [ "$ext" = zip ]; then
      unzip -o -q "$tmp/$asset" -d "$tmp/x"
    else
      mkdir -p "$tmp/x" && tar -xzf "$tmp/$asset" -C "$tmp/x"
    fi
    found="$(find "$tmp/x" -type f -name "$exe" | head -n 1)"
    if [ -z "$found" ]; then
      echo "::error title=accord::$asset does not contain $exe"
      exit 1
    fi
    install -m 755 "$found" "$bin/$exe"
    installed=release
  else
    echo "::warning title=accord::could not download $asset; building accord $version with cargo instead (slower)"
  fi
  rm -rf "$tmp"
else
  echo "::warning title=accord::no prebuilt accord for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; building it with cargo"
fi

if [ -z "$installed" ]; then
  if ! command -v cargo >/dev/null; then
    echo "::error title=accord::no release archive could be installed and cargo is not available to build accord"
    exit 1
  fi
  cargo install --locked --git "$server/$repo" --tag "v$version" --root "$dest" accord
  installed=cargo
fi

echo "$bin" >> "${GITHUB_PATH:-/dev/null}"
"$bin/$exe" --version
echo "accord $version installed from $installed into $bin"
