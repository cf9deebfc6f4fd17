#!/usr/bin/env bash
# s/iter and peak memory of each method's VOC config on one GPU, through the
# configs' own training loops on fake VOC-sized data (tools/benchmark.py
# fake-data + train), in one call of under 10 minutes:
#   1. fake data for the 1/8 PseudoSeg lists and UniMatch's 92-label lists
#      (random 500x375 images and label maps under each config's data_root;
#      refused where real data lies);
#   2. train: supervised voc_1-8, PseudoSeg voc_1-8, its AMP and 8xb4
#      variants (ratios to the supervised row);
#   3. train: UniMatch voc_92 and FixMatch voc_92 (ratios to UniMatch).
# Everything lands in $OUT: env.txt, fake-data.json, train-pseudoseg.json,
# train-unimatch.json and the logs of each stage.
# Rerunning with the same $OUT measures again (the fake data is kept). Each stage has its own
# time limit (STAGE_TIMEOUT) so a slow stage does not take the next one's
# time; a stage that runs out writes no JSON and says so in its log.
#
# Defaults are for one H100/H200 and 16 cores: ITERS=120 iterations per
# config, the first WARMUP=40 left out of the means (a multiple of 10).
# FAKE_CONFIGS, PSEUDOSEG_CONFIGS and UNIMATCH_CONFIGS replace the configs
# of stages 1-3 (FAKE_CONFIGS= skips stage 1). Tiny CPU check of the whole
# path (about 3 minutes on 2 cores):
#   OUT=/tmp/speed ITERS=20 WARMUP=10 FAKE_CONFIGS= \
#   PSEUDOSEG_CONFIGS="configs/supervised/toy.py configs/pseudoseg/toy.py" \
#   UNIMATCH_CONFIGS="configs/unimatch/toy.py configs/fixmatch/toy.py" \
#   bash tools/gpu_speed_check.sh
# Where mmsegmentation is not installed, it installs every wheel in
# $WHEELS (default .whl; pass it with the device tool's carry) into $SITE
# without their dependencies and puts $SITE and this checkout on PYTHONPATH.
# Docs: docs/en/benchmarks/speed_memory.md (the tables this fills).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-work_dirs/gpu_speed}
ITERS=${ITERS:-120}
WARMUP=${WARMUP:-40}
STAGE_TIMEOUT=${STAGE_TIMEOUT:-260}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/pseudoseg_site}
WORK=${WORK:-work_dirs/gpu_speed_work}
FAKE_CONFIGS=${FAKE_CONFIGS-configs/pseudoseg/voc_1-8.py configs/unimatch/voc_92.py}
PSEUDOSEG_CONFIGS=${PSEUDOSEG_CONFIGS:-configs/supervised/voc_1-8.py \
configs/pseudoseg/voc_1-8.py \
configs/pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-amp-30k_voc12aug-183-512x512.py \
configs/pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb4-30k_voc12aug-183-512x512.py}
UNIMATCH_CONFIGS=${UNIMATCH_CONFIGS:-configs/unimatch/voc_92.py configs/fixmatch/voc_92.py}
mkdir -p "$OUT" "$WORK"
start=$(date +%s)
# shellcheck source=tools/gpu_lease_env.sh
source tools/gpu_lease_env.sh
lease_env "$OUT/env.txt"

stage() {  # name, then the benchmark.py arguments
    local name=$1
    shift
    timeout "$STAGE_TIMEOUT" "$PY" tools/benchmark.py "$@" \
        --json "$OUT/$name.json" 2>&1 \
        | grep --line-buffered -v -i -e warn -e paramwise_options \
        | tee "$OUT/$name.log" \
        || echo "$name stopped (timeout ${STAGE_TIMEOUT} s or error)" \
        | tee -a "$OUT/$name.log"
    echo "$name done at $(( $(date +%s) - start )) s" | tee -a "$OUT/$name.log"
}

# shellcheck disable=SC2086
if [ -n "$FAKE_CONFIGS" ]; then
    stage fake-data fake-data --config $FAKE_CONFIGS
fi
# shellcheck disable=SC2086
stage train-pseudoseg train --iters "$ITERS" --warmup "$WARMUP" \
    --work-dir "$WORK/pseudoseg" --config $PSEUDOSEG_CONFIGS
# shellcheck disable=SC2086
stage train-unimatch train --iters "$ITERS" --warmup "$WARMUP" \
    --work-dir "$WORK/unimatch" --config $UNIMATCH_CONFIGS
echo "total $(( $(date +%s) - start )) s" | tee -a "$OUT/env.txt"
