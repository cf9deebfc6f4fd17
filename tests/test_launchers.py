"""tools/slurm_train.sh, tools/slurm_test.sh and multi-node
tools/dist_train.sh: argument handling, with a fake ``srun`` (and a fake
Python for torchrun) on PATH that records what it was given; and one real
2-task ``--launcher slurm`` run on CPU, the fake ``srun`` starting the tasks
with the variables Slurm sets."""
import json
import os
import os.path as osp
import socket
import stat
import subprocess
import sys

import pytest
import torch

from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg

# Records its arguments and environment to $FAKE_SRUN_LOG (one JSON line a
# call). With FAKE_SRUN_EXEC=1 it then runs the command as --ntasks local
# tasks with the variables srun gives each task, as one node.
FAKE_SRUN = r'''#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
keys = ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS', 'PYTHONPATH')
with open(os.environ['FAKE_SRUN_LOG'], 'a') as f:
    f.write(json.dumps(dict(args=args, env={{k: os.environ.get(k)
                                             for k in keys}})) + '\n')
if os.environ.get('FAKE_SRUN_EXEC') != '1':
    sys.exit(0)
ntasks = next(int(a.split('=')[1]) for a in args if a.startswith('--ntasks='))
i = 0  # the command starts after srun's own options
while args[i].startswith('-'):
    i += 2 if args[i] == '-p' else 1
procs = [subprocess.Popen(args[i:], env=dict(
    os.environ, SLURM_PROCID=str(r), SLURM_LOCALID=str(r),
    SLURM_NTASKS=str(ntasks), SLURM_NODELIST='localhost',
    MASTER_ADDR='127.0.0.1')) for r in range(ntasks)]
sys.exit(max(abs(p.wait()) for p in procs))
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def fake_bin(tmp_path):
    """A folder holding the fake ``srun``, and the log it writes."""
    folder = tmp_path / 'bin'
    folder.mkdir()
    srun = folder / 'srun'
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    return folder, tmp_path / 'srun.jsonl'


def _run(script, *args, fake_bin, timeout=60, **env):
    folder, log = fake_bin
    env = dict(
        os.environ,
        PATH=f'{folder}{os.pathsep}{os.environ["PATH"]}',
        FAKE_SRUN_LOG=str(log),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        PYTHONWARNINGS='ignore',
        **env)
    out = subprocess.run(['bash', f'tools/{script}', *args],
                         cwd=REPO,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=timeout)
    calls = [json.loads(line) for line in open(log)] if log.exists() else []
    return out, calls


def test_slurm_train_passes_mmseg_arguments(fake_bin):
    out, calls = _run(
        'slurm_train.sh',
        'gpu-part',
        'my job',
        'configs/pseudoseg/toy.py',
        '--cfg-options',
        'randomness.seed=1',
        '--resume',
        fake_bin=fake_bin,
        GPUS='16',
        GPUS_PER_NODE='8',
        CPUS_PER_TASK='6',
        SRUN_ARGS='--quotatype=auto --exclusive')
    assert out.returncode == 0, out.stderr
    assert len(calls) == 1
    args = calls[0]['args']
    command = args.index(sys.executable)
    assert args[:command] == [
        '-p', 'gpu-part', '--job-name=my job', '--gres=gpu:8',
        '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=6',
        '--kill-on-bad-exit=1', '--quotatype=auto', '--exclusive'
    ]
    assert args[command + 1] == '-u'
    assert args[command + 2].endswith('tools/train.py')
    assert args[command + 3:] == [
        'configs/pseudoseg/toy.py', '--launcher=slurm', '--cfg-options',
        'randomness.seed=1', '--resume'
    ]
    # Our tools/ folder's parent is importable by the tasks.
    assert calls[0]['env']['PYTHONPATH'].split(':')[0].endswith('tools/..')


def test_slurm_train_work_dir_and_defaults(fake_bin):
    out, calls = _run(
        'slurm_train.sh',
        'p',
        'j',
        'cfg.py',
        'work_dirs/x',
        '--amp',
        fake_bin=fake_bin)
    assert out.returncode == 0, out.stderr
    args = calls[0]['args']
    # mmseg's defaults: 4 GPUs on one node, 5 CPUs each.
    for opt in ('--gres=gpu:4', '--ntasks=4', '--ntasks-per-node=4',
                '--cpus-per-task=5'):
        assert opt in args
    assert args[-5:] == [
        'cfg.py', '--work-dir', 'work_dirs/x', '--launcher=slurm', '--amp'
    ]


def test_slurm_test_passes_checkpoint_and_arguments(fake_bin):
    out, calls = _run(
        'slurm_test.sh',
        'p',
        'j',
        'cfg.py',
        'iter_10.pth',
        '--out',
        'preds dir',
        fake_bin=fake_bin,
        GPUS='2',
        GPUS_PER_NODE='2')
    assert out.returncode == 0, out.stderr
    args = calls[0]['args']
    assert '--ntasks=2' in args and '--gres=gpu:2' in args
    assert args[-6].endswith('tools/test.py')
    assert args[-5:] == [
        'cfg.py', 'iter_10.pth', '--launcher=slurm', '--out', 'preds dir'
    ]


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_slurm_scripts_refuse_missing_arguments(script, fake_bin):
    out, calls = _run(script, 'p', 'j', fake_bin=fake_bin)
    assert out.returncode == 2 and 'usage:' in out.stderr
    assert calls == []  # srun was not called


def test_dist_train_passes_multi_node_settings(tmp_path):
    # A fake Python stands in for torchrun: the arguments it receives are
    # what a real node 1 of 2 would run.
    fake = tmp_path / 'python'
    record = tmp_path / 'args.json'
    fake.write_text(f'#!{sys.executable}\nimport json, sys\n'
                    f'json.dump(sys.argv[1:], open({str(record)!r}, "w"))\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(
        os.environ,
        PYTHON=str(fake),
        NNODES='2',
        NODE_RANK='1',
        MASTER_ADDR='10.1.2.3',
        PORT='29611')
    out = subprocess.run(
        ['bash', 'tools/dist_train.sh', 'cfg.py', '8', '--resume'],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True)
    assert out.returncode == 0, out.stderr
    args = json.load(open(record))
    assert args[:7] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
        '--master_addr=10.1.2.3', '--nproc_per_node=8', '--master_port=29611'
    ]
    assert args[7].endswith('tools/train.py')
    assert args[8:] == ['cfg.py', '--launcher', 'pytorch', '--resume']


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU path')
def test_slurm_launcher_trains_and_tests_on_cpu(fake_bin, toy_root,
                                                tmp_path):
    """2 tasks started as srun starts them: train.py and test.py with
    ``--launcher slurm`` form one gloo process group."""
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path / 'work', max_iters=2)
    cfg.log_level = 'INFO'
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    work = str(tmp_path / 'slurm')
    out, _ = _run(
        'slurm_train.sh',
        'p',
        'j',
        cfg_file,
        work,
        fake_bin=fake_bin,
        timeout=300,
        GPUS='2',
        GPUS_PER_NODE='2',
        FAKE_SRUN_EXEC='1',
        MASTER_PORT=str(_free_port()))
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log, log[-4000:]
    assert 'GPU number: 2' in log, log[-4000:]  # mmengine: world size
    assert 'backend -> gloo' in log, log[-4000:]
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt), log[-4000:]
    out, _ = _run(
        'slurm_test.sh',
        'p',
        'j',
        cfg_file,
        ckpt,
        '--work-dir',
        str(tmp_path / 'test'),
        fake_bin=fake_bin,
        timeout=300,
        GPUS='2',
        GPUS_PER_NODE='2',
        FAKE_SRUN_EXEC='1',
        MASTER_PORT=str(_free_port()))
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert 'mIoU' in log, log[-4000:]
