"""Faults in one process of a 2-process CPU run (tools/dist_train.sh, gloo):
the run must end, non-zero, without hanging; a NaN loss on one rank must
be handled the same way on both."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from .conftest import REPO, SUPERVISED_TOY, toy_cfg

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason='tests the CPU (gloo) path')

# A hang would last gloo's 30-minute collective timeout; a healthy 2-process
# toy run takes about 15 s.
TIMEOUT = 180


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_train(toy_root, tmp_path, *hooks):
    cfg = toy_cfg(SUPERVISED_TOY, toy_root, tmp_path / 'work', max_iters=4)
    cfg.custom_hooks = list(hooks)
    cfg.log_level = 'INFO'
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONWARNINGS='ignore')
    out = subprocess.run(
        ['bash', 'tools/dist_train.sh', cfg_file, '2'],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT)
    return out.returncode, out.stdout + out.stderr


@pytest.mark.parametrize('fault', ['raise', 'kill'])
def test_one_dead_process_ends_the_run(fault, toy_root, tmp_path):
    rc, log = _dist_train(
        toy_root, tmp_path,
        dict(type='FaultInjectionHook', fault=fault, iteration=2, rank=1))
    assert rc != 0, log[-3000:]
    assert f'FaultInjectionHook: {fault} on rank 1, iteration 2' in log
    # Rank 0 did not train on alone.
    assert 'Iter(train) [3/4]' not in log, log[-3000:]
    assert not osp.exists(tmp_path / 'work' / 'iter_4.pth')


def test_nan_on_one_rank_stops_every_rank(toy_root, tmp_path):
    rc, log = _dist_train(
        toy_root, tmp_path,
        dict(type='FaultInjectionHook', fault='nan', iteration=2, rank=1))
    assert rc != 0, log[-3000:]
    # Both processes raise the same error, naming the rank and the loss.
    message = ('non-finite loss at iteration 2: rank 0: nothing here; '
               'rank 1: loss=nan, decode.loss_ce=nan')
    assert log.count(message) >= 2, log[-3000:]
    assert not osp.exists(tmp_path / 'work' / 'iter_2.pth')


def test_skip_mode_skips_on_every_rank(toy_root, tmp_path):
    rc, log = _dist_train(
        toy_root, tmp_path,
        dict(type='FaultInjectionHook', fault='nan', iteration=2, rank=1),
        dict(type='NonFiniteGuardHook', action='skip'))
    assert rc == 0, log[-3000:]
    assert ('iteration 2: rank 0: nothing here; rank 1: loss=nan, '
            'decode.loss_ce=nan: skipped this iteration') in log, log[-3000:]
    assert 'nonfinite_skips: 1.0' in log
    ckpt = torch.load(tmp_path / 'work' / 'iter_4.pth')
    assert all(v.isfinite().all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
