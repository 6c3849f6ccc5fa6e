#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (as root), then runs them all.
#   bash scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
