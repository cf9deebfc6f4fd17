"""Loaded by every Python process the tests start (tests/conftest.py puts
this folder first on PYTHONPATH): the test-suite speed-up of conftest's
``_skip_yapf_formatting`` for subprocesses (tools/train.py, benchmark
workers, launchers). Nothing here is imported outside the tests."""
try:
    import yapf.yapflib.yapf_api as _yapf_api
except ImportError:  # a venv without yapf: nothing to speed up
    pass
else:
    def _unformatted(code, *args, **kwargs):
        return code, False

    _yapf_api.FormatCode = _unformatted
