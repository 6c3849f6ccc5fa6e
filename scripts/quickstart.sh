#!/usr/bin/env bash
# One command from a fresh machine to a working demo: setup, a demo records repository with
# fictional handlers and 20 fictional cases, the case list, and a full check.
#   bash scripts/quickstart.sh [DIR]        (default DIR: ./saiken-demo)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh"
dir="${1:-$PWD/saiken-demo}"
"$here/.venv/bin/saiken" demo "$dir"
cd "$dir"
export SAIKEN_IDENTITY="$dir/.identities/otsu-01.txt"
export PATH="$here/.venv/bin:$PATH"
echo
echo "== saiken case list（乙の取扱責任者として） =="
saiken case list
