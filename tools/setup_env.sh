#!/usr/bin/env bash
# Create .venv (Python 3.11 recommended) and install mmseg_pseudoseg with its
# pinned dependencies. Idempotent: a second run only re-checks the pins.
# Env: VENV (default .venv), PYTHON_BIN (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON_BIN=${PYTHON_BIN:-python3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
# torch first, so the CPU build is used where a local wheel folder offers
# one (pip's find-links); elsewhere pip takes the registry's build.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    FIND_LINKS=()
    [ -d /opt/wheels ] && FIND_LINKS=(--find-links /opt/wheels)
    $PIP install -q "${FIND_LINKS[@]}" "torch==2.13.0"
fi
$PIP install -q -e ".[tests]"
