"""Loaded by every Python process the tests start (tests/conftest.py puts
this folder first on PYTHONPATH): the test-suite speed-up of conftest's
``_skip_yapf_formatting`` for subprocesses (tools/train.py, benchmark
workers, launchers); the conftest uses :func:`unformatted` in its own
process. Nothing here is imported outside the tests."""


def unformatted(code, *args, **kwargs):
    """yapf's ``FormatCode`` that leaves the code as it is."""
    return code, False


try:
    import yapf.yapflib.yapf_api as _yapf_api
except ImportError:  # a venv without yapf: nothing to speed up
    pass
else:
    _yapf_api.FormatCode = unformatted
