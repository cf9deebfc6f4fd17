"""The benchmarks behind ``tools/benchmark.py`` (step, data, curve,
calibration). Not imported by ``mmseg_pseudoseg.utils``: they pull in
matplotlib and the model code only when a benchmark runs."""
