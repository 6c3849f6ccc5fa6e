#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (as root), then runs them all.
#   bash scripts/test.sh [pytest options]
# The tests run on every core (pytest-xdist), one test file per worker at a time: a file's tests
# share module fixtures and run in order.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest -n auto --dist loadfile "$@"
