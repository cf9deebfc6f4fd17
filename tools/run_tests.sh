#!/usr/bin/env bash
# Set up (see tools/setup_env.sh) and run the test suite on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
exec ${VENV:-.venv}/bin/python -m pytest -q "$@"
