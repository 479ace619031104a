#!/usr/bin/env bash
# Run every check: lint, types, unit and integration tests (real packaged models).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check podium tests
.venv/bin/mypy
.venv/bin/pytest
