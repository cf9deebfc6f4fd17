#!/usr/bin/env bash
# The label-limited regime check of the toy patterns benchmark (issue 16),
# supervised arm only, on one GPU machine, in one call of under 10 minutes:
#   1. the toy patterns set (512 train / 256 val, split lists seeds 0-9);
#   2. the toy backbone pre-trained on 28 procedural pattern classes that
#      are not the benchmark's (tools/benchmark.py pretrain);
#   3. tools/benchmark.py regime: the supervised config at 1/16 .. 1/2 from
#      that backbone and at 1/16 from random init, SEEDS seeds, JOBS
#      processes at a time sharing the GPU.
# Everything lands in $OUT (7 files): the checkpoint and its .sha256,
# pretrain.json, pretrain.log, regime.jsonl (one line per run; rerunning
# with the same $OUT resumes), regime.json (the summary and pass/fail),
# regime.log.
#
# GPU defaults (16 cores, one H200): pre-training 6,000 iterations of 256
# images (60,000 drawn) at peak lr 0.2 (105 s at width 16, 128 s at 32),
# then 5 seeds x 5 arms = 25 runs of 4,000 iterations, 13 at a time. A
# wave takes 330-375 s (10 runs sharing the card at width 32: 328-329 s;
# 13 at width 16: 373 s), so one call finishes one wave: the regime stage
# stops END_BY seconds (default 560) after the script started, whatever
# the pre-training took, and is skipped when fewer than MIN_REGIME seconds
# (default 340) would be left, since a run stopped part-way records
# nothing. REGIME_TIMEOUT=S gives the stage S seconds instead. The runs
# finished are in regime.jsonl; a second call (same $OUT) does the rest,
# or `regime --seeds` on another machine and `regime --no-train` on both
# machines' runs.
# WIDTH=C: the width study's backbone, C channels at its stem (both stages
# get --backbone-width C; the checkpoint is toy_patterns_backbone_wC.pth).
# CKPT=path: use that checkpoint (e.g. one pre-trained on a CPU and carried)
# instead of $OUT's; pre-training runs only if it is missing.
# Where mmsegmentation is not installed, every wheel in $WHEELS (default
# .whl, passed with the device tool's carry) goes into $SITE without its
# dependencies (tools/gpu_lease_env.sh, shared with gpu_speed_check.sh).
# Tiny CPU check of the whole path (about 4 minutes on 2 cores):
#   OUT=/tmp/regime ITERS=10 BATCH=8 NUM_TRAIN=64 NUM_VAL=16 SEEDS="0 1" \
#   REGIME_ITERS=4 JOBS=2 SET_TRAIN=32 SET_VAL=8 bash tools/gpu_regime_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-work_dirs/gpu_regime}
ITERS=${ITERS:-6000}
BATCH=${BATCH:-256}
LR=${LR:-0.2}
NUM_TRAIN=${NUM_TRAIN:-60000}
NUM_VAL=${NUM_VAL:-2000}
WORKERS=${WORKERS:-$(nproc)}
SEEDS=${SEEDS:-0 1 2 3 4}
REGIME_ITERS=${REGIME_ITERS:-4000}
JOBS=${JOBS:-13}
SET_TRAIN=${SET_TRAIN:-512}
SET_VAL=${SET_VAL:-256}
REGIME_TIMEOUT=${REGIME_TIMEOUT:-}
WORK=${WORK:-work_dirs/gpu_regime_work}
WIDTH=${WIDTH:-}
END_BY=${END_BY:-560}
MIN_REGIME=${MIN_REGIME:-340}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/pseudoseg_site}
mkdir -p "$OUT" "$WORK"
CKPT=${CKPT:-$OUT/toy_patterns_backbone${WIDTH:+_w$WIDTH}.pth}
WIDTH_ARGS=()
if [ -n "$WIDTH" ]; then WIDTH_ARGS=(--backbone-width "$WIDTH"); fi
start=$(date +%s)
# shellcheck source=tools/gpu_lease_env.sh
source tools/gpu_lease_env.sh
lease_env "$OUT/pretrain.log"
if [ ! -f "$CKPT" ]; then
    "$PY" tools/benchmark.py pretrain --out "$CKPT" --iters "$ITERS" \
        --batch "$BATCH" --lr "$LR" --num-train "$NUM_TRAIN" \
        --num-val "$NUM_VAL" --workers "$WORKERS" "${WIDTH_ARGS[@]}" \
        --json "$OUT/pretrain.json" \
        2>&1 | { grep --line-buffered -v -i warn || true; } \
        | tee -a "$OUT/pretrain.log"
fi
echo "pre-training done at $(( $(date +%s) - start )) s" | tee -a "$OUT/pretrain.log"
if [ -z "$REGIME_TIMEOUT" ]; then
    REGIME_TIMEOUT=$(( END_BY - ($(date +%s) - start) ))
fi
if [ "$REGIME_TIMEOUT" -lt "$MIN_REGIME" ]; then
    echo "regime stage skipped: ${REGIME_TIMEOUT} s left, under MIN_REGIME=${MIN_REGIME}" \
        | tee "$OUT/regime.log"
    exit 0
fi
# shellcheck disable=SC2086
OMP_NUM_THREADS=1 timeout "$REGIME_TIMEOUT" "$PY" tools/benchmark.py regime \
    --checkpoint "$CKPT" "${WIDTH_ARGS[@]}" --data-root "$WORK/data" \
    --num-train "$SET_TRAIN" \
    --num-val "$SET_VAL" --seeds $SEEDS --iters "$REGIME_ITERS" \
    --jobs "$JOBS" --work-dir "$WORK/runs" --results "$OUT/regime.jsonl" \
    --out "$OUT/regime.json" 2>&1 | grep --line-buffered -v -i warn | tee "$OUT/regime.log" \
    || echo "regime stage stopped (timeout ${REGIME_TIMEOUT} s or error); rerun to resume" | tee -a "$OUT/regime.log"
echo "total $(( $(date +%s) - start )) s" | tee -a "$OUT/regime.log"
