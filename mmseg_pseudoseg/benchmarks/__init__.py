"""The benchmark harness behind ``tools/benchmark.py`` (curve, per-class,
calibration, step, data, train, fake-data, pretrain, regime): the library
code; ``tools/benchmark.py`` is its command line. Not imported by
``import mmseg_pseudoseg``: it pulls in matplotlib and the model code only
when a benchmark runs. Outputs go under the work dir the caller names
(``work_dirs/...`` by default), never into tracked files unless asked.
"""
