"""AtomicCheckpointHook: a process killed while saving leaves the previous
checkpoint as the newest readable one, no partial file under a final name,
and ``last_checkpoint`` naming a complete file."""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.runner import Runner

from mmseg_pseudoseg.utils.checkpoint import (check_checkpoint, commit_file,
                                              find_resumable_checkpoint,
                                              stale_temporary_files,
                                              temporary_path,
                                              write_text_atomic)
from mmseg_pseudoseg.utils.cli import use_atomic_checkpoints
from .conftest import REPO, SUPERVISED_TOY, toy_cfg


def _files(folder):
    return sorted(f for f in os.listdir(folder) if not f.endswith('.log')
                  and osp.isfile(osp.join(folder, f)))


def test_commit_replaces_only_when_complete(tmp_path):
    path = str(tmp_path / 'iter_2.pth')
    write_text_atomic(path, 'old')
    tmp = temporary_path(path)
    assert osp.dirname(tmp) == str(tmp_path)  # same file system
    assert osp.basename(tmp) == f'.iter_2.pth.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write('new')
    assert open(path).read() == 'old'  # untouched until the commit
    commit_file(tmp, path)
    assert open(path).read() == 'new' and not osp.exists(tmp)
    with pytest.raises(FileNotFoundError, match=r'iter_4\.pth.*tmp'):
        commit_file(temporary_path(str(tmp_path / 'iter_4.pth')),
                    str(tmp_path / 'iter_4.pth'))
    # Another process's temporary file is stale; our own is not.
    stale = tmp_path / '.iter_6.pth.tmp1'
    stale.write_text('half')
    open(temporary_path(str(tmp_path / 'iter_8.pth')), 'w').close()
    assert stale_temporary_files(str(tmp_path)) == [str(stale)]


def _cfg(toy_root, work_dir, **checkpoint):
    cfg = toy_cfg(SUPERVISED_TOY, toy_root, work_dir, max_iters=4)
    cfg.default_hooks.checkpoint.update(max_keep_ckpts=1, **checkpoint)
    return cfg


def test_hook_keeps_mmengine_behaviour(toy_root, tmp_path):
    cfg = _cfg(toy_root, tmp_path, save_best='mIoU', rule='greater')
    cfg.train_cfg.val_interval = 2
    assert use_atomic_checkpoints(cfg)
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    runner = Runner.from_cfg(cfg)
    runner.train()
    files = _files(tmp_path)
    assert 'iter_4.pth' in files and 'iter_2.pth' not in files, files
    assert [f for f in files if f.startswith('best_mIoU_iter_')], files
    assert not [f for f in os.listdir(tmp_path) if '.tmp' in f]
    marker = open(tmp_path / 'last_checkpoint').read()
    assert marker == osp.join(tmp_path, 'iter_4.pth')
    ckpt = torch.load(marker)
    assert ckpt['message_hub']['runtime_info']['keep_ckpt_ids'] == [4]
    # The runner's own save_checkpoint is back after the hook's saves.
    assert 'save_checkpoint' not in vars(runner)
    # Other checkpoint hook types are left as configured.
    cfg.default_hooks.checkpoint.type = 'mmengine.CheckpointHook'
    assert not use_atomic_checkpoints(cfg)


def test_kill_during_save_then_resume(toy_root, tmp_path):
    """SIGKILL half-way through writing iter_4.pth (max_keep_ckpts=1),
    through tools/train.py as a user runs it."""
    cfg = _cfg(toy_root, tmp_path / 'work')
    cfg.log_level = 'INFO'
    cfg.custom_hooks.append(
        dict(type='FaultInjectionHook', fault='kill_in_save', iteration=4))
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    work = str(tmp_path / 'work')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    cmd = [sys.executable, 'tools/train.py', cfg_file, '--work-dir', work]
    out = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == -signal.SIGKILL, log[-3000:]
    assert 'kill_in_save on rank 0, iteration 4' in log, log[-3000:]
    # No partial file under a final name; the previous checkpoint is kept
    # (mmengine's hook deletes it before writing the next) and named.
    files = _files(work)
    assert 'iter_4.pth' not in files and 'iter_2.pth' in files, files
    assert stale_temporary_files(work), files  # the half-written file
    marker = open(osp.join(work, 'last_checkpoint')).read()
    assert marker == osp.join(work, 'iter_2.pth')
    check_checkpoint(marker, for_resume=True)
    assert find_resumable_checkpoint(work) == (marker, [])

    cfg.custom_hooks.pop()  # the resumed run is not killed
    cfg.dump(cfg_file)
    out = subprocess.run(
        cmd + ['--resume'],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert f'--resume: resuming from {marker}' in log, log[-3000:]
    assert 'killed while saving' in log, log[-3000:]  # the stale file
    assert not stale_temporary_files(work)
    assert _files(work) == ['cfg.py', 'iter_4.pth', 'last_checkpoint']
    check_checkpoint(osp.join(work, 'iter_4.pth'), for_resume=True)
