# shellcheck shell=bash
# Sourced by tools/gpu_speed_check.sh and tools/gpu_regime_check.sh (they
# set PY, WHEELS and SITE). `lease_env FILE`: where mmsegmentation is not
# installed, every wheel in $WHEELS goes into $SITE without its
# dependencies and $SITE and this checkout go on PYTHONPATH; then the
# commit, the GPU and the versions are logged to FILE.
lease_env() {
    if ! "$PY" -c 'import mmseg' 2>/dev/null; then
        # --no-deps: mmengine and mmcv-lite ask for opencv-python, which no
        # registry serves there; the machine's opencv-python-headless does.
        "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade \
            --target "$SITE" "$WHEELS"/*.whl
        export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
    fi
    {
        git rev-parse HEAD 2>/dev/null || echo 'commit: unknown'
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv \
            2>/dev/null || echo 'nvidia-smi: none'
        "$PY" -c 'import torch, mmseg, mmengine; print("torch",
torch.__version__, "cuda", torch.cuda.is_available(),
torch.cuda.get_device_name() if torch.cuda.is_available() else "",
"mmseg", mmseg.__version__, "mmengine", mmengine.__version__)'
    } 2>&1 | tee "$1"
}
