#!/usr/bin/env bash
# Set up (see tools/setup_env.sh) and run the test suite on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
# Two pytest-xdist workers (the CI machine has 2 cores), one torch thread
# each: most tests are single-threaded subprocess runs, and two workers
# took the suite from 14.9 to 8.4 minutes on the 2-core machine.
# PYTEST_WORKERS=0 runs in one process.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec ${VENV:-.venv}/bin/python -m pytest -q -n "${PYTEST_WORKERS:-2}" "$@"
