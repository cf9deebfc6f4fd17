"""The command-line tools as a user runs them, in subprocesses."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(cmd, **kwargs):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    out = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, **kwargs)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


@pytest.fixture
def toy_config_file(toy_root, tmp_path):
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path / 'work', max_iters=2)
    cfg.log_level = 'INFO'
    path = str(tmp_path / 'toy_test_cfg.py')
    cfg.dump(path)
    return path


def test_train_then_test_cli(toy_config_file, tmp_path):
    work = str(tmp_path / 'cli')
    log = _run([
        sys.executable, 'tools/train.py', toy_config_file, '--work-dir', work
    ])
    assert 'pseudo labels: mean_conf=' in log
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    log = _run([
        sys.executable, 'tools/test.py', toy_config_file, ckpt, '--work-dir',
        work
    ])
    assert 'mIoU' in log and 'disc' in log


def test_train_cli_names_a_missing_config():
    out = subprocess.run([sys.executable, 'tools/train.py', 'nope.py'],
                         cwd=REPO,
                         capture_output=True,
                         text=True)
    assert out.returncode != 0 and 'nope.py does not exist' in out.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU path')
def test_dist_train_two_processes_on_cpu(toy_config_file, tmp_path):
    work = str(tmp_path / 'ddp')
    # The multi-node settings as a one-node run sets them (node 0 of 1);
    # tests/test_launchers.py checks they reach torchrun for node 1 of 2.
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        NNODES='1',
        NODE_RANK='0',
        MASTER_ADDR='127.0.0.1',
        OMP_NUM_THREADS='1')
    out = subprocess.run(
        ['bash', 'tools/dist_train.sh', toy_config_file, '2', '--work-dir',
         work],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    log = out.stdout + out.stderr
    tail = log[-4000:]
    assert out.returncode == 0, tail
    assert 'Distributed training: True' in log, tail
    assert 'GPU number: 2' in log, tail  # mmengine's name for world size
    assert 'CPU distributed run: env_cfg.dist_cfg.backend -> gloo' in log, \
        tail
    assert 'mIoU' in log, tail
    assert osp.isfile(osp.join(work, 'iter_2.pth')), tail
