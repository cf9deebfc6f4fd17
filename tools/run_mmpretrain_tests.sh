#!/usr/bin/env bash
# Tests that need the mmpretrain extra (mmpretrain backbones in mmseg
# configs), in their own venv: mmpretrain.models imports torchvision, whose
# only build that works on this CPU machine is torchvision 0.29.1 next to
# torch 2.14.1 (CUDA builds, 6 GB; about 2.5 min to install cold). In the
# main .venv these tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export VENV=${MMPRETRAIN_VENV:-.venv-mmpretrain}
TORCH_VERSION=${TORCH_VERSION:-2.14.1} EXTRAS=tests,mmpretrain \
    bash tools/setup_env.sh
PSEUDOSEG_REQUIRE_MMPRETRAIN=1 exec "$VENV/bin/python" -m pytest -q \
    tests/test_backbones.py "$@"
