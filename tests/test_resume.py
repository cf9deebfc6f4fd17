"""Resume as users do it: a real tools/train.py process killed with
SIGKILL right after a checkpoint, then ``--resume``; unreadable checkpoints
for --resume, load_from and tools/test.py."""
import importlib.util
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmseg_pseudoseg.engine.hooks import NonFiniteError
from mmseg_pseudoseg.engine.utils import logged_train_scalars
from mmseg_pseudoseg.utils.checkpoint import CheckpointError
from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg

ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
MAX_ITERS = 9


def _train(cfg_file, work_dir, *args, check=True):
    out = subprocess.run(
        [sys.executable, 'tools/train.py', cfg_file, '--work-dir', work_dir,
         *args],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600)
    log = out.stdout + out.stderr
    if check:
        assert out.returncode == 0, log[-4000:]
    return out.returncode, log


@pytest.fixture(scope='module')
def cfg_file(toy_root, tmp_path_factory):
    """PseudoSeg toy run of 9 iterations with dropout (the decode head's
    0.1), checkpoints and validation every 3 iterations."""
    folder = tmp_path_factory.mktemp('resume_cfg')
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, folder, max_iters=MAX_ITERS)
    cfg.default_hooks.checkpoint.interval = 3
    cfg.train_cfg.val_interval = 3
    cfg.log_level = 'INFO'
    path = str(folder / 'resume_cfg.py')
    cfg.dump(path)
    return path


@pytest.fixture(scope='module')
def reference(cfg_file, tmp_path_factory):
    """The uninterrupted run."""
    work = str(tmp_path_factory.mktemp('reference'))
    _train(cfg_file, work)
    return work


def _assert_same_run(work_dir, reference):
    assert logged_train_scalars(work_dir) == logged_train_scalars(reference)
    assert len(logged_train_scalars(reference)) == MAX_ITERS
    got = torch.load(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))
    want = torch.load(osp.join(reference, f'iter_{MAX_ITERS}.pth'))
    for part in ('state_dict', 'optimizer'):
        flat_got = dict(_flat(got[part]))
        flat_want = dict(_flat(want[part]))
        assert flat_got.keys() == flat_want.keys()
        for key, value in flat_want.items():
            assert torch.equal(flat_got[key], value), f'{part}.{key}'


def _flat(obj, prefix=''):
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flat(value, f'{prefix}.{key}')
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _flat(value, f'{prefix}.{i}')


def _kill_after_first_checkpoint(cfg_file, work_dir):
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', cfg_file, '--work-dir', work_dir],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    marker = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + 600
    while proc.poll() is None and time.time() < deadline:
        # CheckpointHook writes the marker after the checkpoint file.
        if osp.isfile(marker) and open(marker).read().strip():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    assert proc.wait(timeout=60) == -signal.SIGKILL, \
        'the training process ended before it could be killed'


def test_kill_then_resume_repeats_the_run_exactly(cfg_file, reference,
                                                  tmp_path):
    work = str(tmp_path / 'killed')
    _kill_after_first_checkpoint(cfg_file, work)
    assert not osp.exists(osp.join(work, f'iter_{MAX_ITERS}.pth'))
    _, log = _train(cfg_file, work, '--resume')
    # Every logged loss, accuracy, lr and pseudo-label statistic of every
    # iteration, and every final weight and momentum: bit for bit.
    _assert_same_run(work, reference)
    assert 'RNG states of rank 0 will be restored' in log

    # The newest two checkpoints unreadable (kill -9 or a full disk while
    # writing): --resume says so and falls back to iter_3.pth, and the run
    # is still exact.
    open(osp.join(work, 'iter_9.pth'), 'wb').close()
    with open(osp.join(work, 'iter_6.pth'), 'r+b') as f:
        f.truncate(1000)
    _, log = _train(cfg_file, work, '--resume')
    assert f'skipped checkpoint {work}/iter_9.pth is empty (0 bytes)' in log
    assert f'skipped checkpoint {work}/iter_6.pth is truncated' in log
    assert f'resuming from {work}/iter_3.pth' in log
    _assert_same_run(work, reference)


def _tool(name, monkeypatch, *argv):
    """``tools/<name>.py``'s ``main`` with ``argv``, in this process (the
    checks run before any Runner is built, so no subprocess is needed)."""
    spec = importlib.util.spec_from_file_location(
        f'_tools_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [f'{name}.py', *argv])
    return module.main


def test_resume_without_a_readable_checkpoint_names_them(
        cfg_file, reference, tmp_path, monkeypatch):
    work = str(tmp_path / 'broken')
    shutil.copytree(reference, work)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_9.pth'))
    for it in (3, 6, 9):
        with open(osp.join(work, f'iter_{it}.pth'), 'r+b') as f:
            f.truncate(0 if it == 9 else 1000)
    main = _tool('train', monkeypatch, cfg_file, '--work-dir', work,
                 '--resume')
    with pytest.raises(CheckpointError) as error:
        main()
    message = str(error.value)
    assert f'no readable checkpoint in {work}; tried 3' in message
    assert f'{work}/iter_9.pth is empty (0 bytes)' in message
    assert f'{work}/iter_3.pth is truncated' in message


def test_unreadable_checkpoint_named_by_test_and_load_from(
        cfg_file, reference, tmp_path, monkeypatch):
    empty = str(tmp_path / 'empty.pth')
    open(empty, 'wb').close()
    main = _tool('test', monkeypatch, cfg_file, empty)
    with pytest.raises(CheckpointError,
                       match=f'checkpoint {empty} is empty \\(0 bytes\\)'):
        main()

    cut = str(tmp_path / 'cut.pth')
    shutil.copy(osp.join(reference, 'iter_3.pth'), cut)
    with open(cut, 'r+b') as f:
        f.truncate(5000)
    main = _tool('train', monkeypatch, cfg_file, '--work-dir',
                 str(tmp_path / 'w'), '--cfg-options', f'load_from={cut}')
    with pytest.raises(CheckpointError,
                       match=f'checkpoint {cut} is truncated'):
        main()


def test_test_cli_refuses_non_finite_weights(cfg_file, reference, tmp_path,
                                             monkeypatch):
    ckpt = torch.load(osp.join(reference, 'iter_3.pth'))
    name = next(k for k in ckpt['state_dict'] if k.endswith('conv_seg.weight'))
    ckpt['state_dict'][name][0, 0] = float('nan')
    path = str(tmp_path / 'nan.pth')
    torch.save(ckpt, path)
    # tools/test.py adds NonFiniteGuardHook (the config does not list it):
    # no mIoU is computed from NaN logits.
    main = _tool('test', monkeypatch, cfg_file, path, '--work-dir',
                 str(tmp_path / 'test'))
    with pytest.raises(NonFiniteError,
                       match=r'refusing to test: the weights hold 1 '
                       rf'non-finite tensor\(s\) \(rank 0\): {name}$'):
        main()
