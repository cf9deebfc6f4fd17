"""tools/check_disk.py: the CI's disk check names the folder that is short."""
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import check_disk  # noqa: E402

GB = check_disk.GB


def test_needs_skips_venvs_that_exist(tmp_path, monkeypatch):
    monkeypatch.delenv('VENV', raising=False)
    monkeypatch.delenv('MMPRETRAIN_VENV', raising=False)
    root, tmp = str(tmp_path / 'clone'), str(tmp_path / 'tmp')
    whats = [what for _, what, _ in check_disk.needs(root, True, tmp)]
    assert len(whats) == 3 and 'mmpretrain venv' in whats[1]
    assert len(check_disk.needs(root, False, tmp)) == 2
    os.makedirs(os.path.join(root, '.venv', 'bin'))
    open(os.path.join(root, '.venv', 'bin', 'python'), 'w').close()
    items = check_disk.needs(root, True, tmp)
    assert [gb for _, _, gb in items] == [
        check_disk.MMPRETRAIN_VENV_GB, check_disk.TMP_GB]


def test_shortfall_sums_what_shares_a_file_system():
    items = [('/clone', 'venv', 2.0), ('/clone', 'mmpretrain', 7.0),
             ('/tmp', 'tmp', 1.5)]
    free = {'/clone': 8.0 * GB, '/tmp': 8.0 * GB}
    # Separate file systems: /clone is 1 GiB short, /tmp is fine.
    errors = check_disk.shortfalls(items, free.get, {
        '/clone': 1, '/tmp': 2}.get)
    assert len(errors) == 1
    assert errors[0].startswith('/clone: 8.0 GiB free')
    assert 'needs 9.0 GiB' in errors[0] and 'mmpretrain: 7.0' in errors[0]
    # One file system: everything counts against the same 8 GiB.
    errors = check_disk.shortfalls(items, free.get, lambda p: 1)
    assert len(errors) == 1 and 'needs 10.5 GiB' in errors[0]
    assert 'tmp: 1.5 GiB' in errors[0]
    # Enough room: no message.
    assert check_disk.shortfalls(
        items, lambda p: 10.5 * GB, lambda p: 1) == []


@pytest.mark.parametrize('mmpretrain', ['0', '1'])
def test_cli_on_this_machine_exits_with_the_verdict(mmpretrain):
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'check_disk.py'),
         '--mmpretrain', mmpretrain], capture_output=True, text=True)
    # The verdict must agree with the free space the check reads.
    expected = check_disk.check(ROOT, mmpretrain == '1',
                                tempfile.gettempdir())
    assert proc.returncode == (1 if expected else 0), proc.stderr
    assert ('GiB free' in proc.stderr) == bool(expected)
