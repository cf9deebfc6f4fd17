#!/usr/bin/env bash
# Create .venv (Python 3.11 recommended) and install mmseg_pseudoseg with its
# pinned dependencies for CPU work. Idempotent: a second run only re-checks
# the pins.
# Env: VENV (default .venv), PYTHON_BIN (default python3), TORCH_VERSION
# (default 2.13.0), EXTRAS (default tests; e.g. tests,mmpretrain).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON_BIN=${PYTHON_BIN:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
EXTRAS=${EXTRAS:-tests}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
# torch first, so the CPU build is used where a local wheel folder offers
# one (pip's find-links); elsewhere pip takes the registry's build.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    FIND_LINKS=()
    [ -d /opt/wheels ] && FIND_LINKS=(--find-links /opt/wheels)
    $PIP install -q "${FIND_LINKS[@]}" "torch==$TORCH_VERSION"
fi
# The package does not depend on mmcv (requirements/mminstall.txt says
# why). On CPU the pure-Python mmcv-lite is enough; a compiled mmcv that is
# already installed (GPU set-ups) is left alone.
if ! "$VENV/bin/python" -c "import mmcv" 2>/dev/null; then
    $PIP install -q "mmcv-lite==2.1.0"
fi
$PIP install -q -e ".[$EXTRAS]"
