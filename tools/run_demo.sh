#!/usr/bin/env bash
# The main job, from a fresh machine: set up, write the built-in toy set,
# train PseudoSeg on it on CPU (1/8 labeled split) and evaluate, printing
# mIoU. Takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
PY=${VENV:-.venv}/bin/python
WORK_DIR=${WORK_DIR:-work_dirs/pseudoseg_toy}
[ -f data/toy_shapes/splits/1-8/labeled.txt ] || \
    $PY tools/make_toy_dataset.py data/toy_shapes
$PY tools/train.py configs/pseudoseg/toy.py --work-dir "$WORK_DIR"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
$PY tools/test.py configs/pseudoseg/toy.py "$CKPT" --work-dir "$WORK_DIR" \
    2>&1 | tee "$WORK_DIR/test.log" | grep -v Warning
grep -o 'mIoU: [0-9.]*' "$WORK_DIR/test.log" | tail -1
