"""tools/gpu_speed_check.sh and tools/gpu_regime_check.sh, the prepared
scripts for a GPU lease: which benchmark commands they run with which
arguments, with a fake Python that records its arguments (the real runs
need a GPU; their tiny CPU checks are in the scripts' headers)."""
import json
import os
import os.path as osp
import stat
import subprocess
import sys

from .conftest import REPO

# Records its arguments (one JSON line a call) to $FAKE_PY_LOG; fails the
# calls whose benchmark subcommand is in $FAKE_PY_FAIL.
FAKE_PYTHON = r'''#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ['FAKE_PY_LOG'], 'a') as f:
    f.write(json.dumps(args) + '\n')
fail = os.environ.get('FAKE_PY_FAIL', '').split()
sys.exit(1 if len(args) > 1 and args[1] in fail else 0)
'''


def _run_speed_check(tmp_path, script='tools/gpu_speed_check.sh', **env):
    fake = tmp_path / 'python'
    fake.write_text(FAKE_PYTHON.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / 'calls.jsonl'
    out_dir = tmp_path / 'out'
    out = subprocess.run(['bash', script],
                         cwd=REPO,
                         env=dict(
                             os.environ,
                             PYTHON=str(fake),
                             FAKE_PY_LOG=str(log),
                             OUT=str(out_dir),
                             WORK=str(tmp_path / 'work'),
                             **env),
                         capture_output=True,
                         text=True,
                         timeout=60)
    calls = [json.loads(line) for line in open(log)]
    bench = {c[1]: c[2:] for c in calls if c and c[0] == 'tools/benchmark.py'}
    return out, bench, out_dir


def _configs(args):
    i = args.index('--config') + 1
    configs = []
    while i < len(args) and not args[i].startswith('--'):
        configs.append(args[i])
        i += 1
    return configs


def test_gpu_speed_check_runs_every_method_config(tmp_path):
    out, bench, out_dir = _run_speed_check(tmp_path, ITERS='100',
                                           WARMUP='30')
    assert out.returncode == 0, out.stderr
    assert sorted(bench) == ['fake-data', 'train']  # train: the last call
    assert _configs(bench['fake-data']) == [
        'configs/pseudoseg/voc_1-8.py', 'configs/unimatch/voc_92.py'
    ]
    assert _configs(bench['train']) == [
        'configs/unimatch/voc_92.py', 'configs/fixmatch/voc_92.py'
    ]
    args = bench['train']
    assert args[args.index('--iters') + 1] == '100'
    assert args[args.index('--warmup') + 1] == '30'
    assert args[args.index('--json') + 1] == str(out_dir /
                                                 'train-unimatch.json')
    calls = [json.loads(line) for line in open(tmp_path / 'calls.jsonl')]
    trains = [c[2:] for c in calls if c[1:2] == ['train']]
    assert _configs(trains[0])[:2] == [
        'configs/supervised/voc_1-8.py', 'configs/pseudoseg/voc_1-8.py'
    ]
    assert len(_configs(trains[0])) == 4
    for args in trains + [bench['fake-data']]:
        for config in _configs(args):
            assert osp.isfile(osp.join(REPO, config)), config
    assert (out_dir / 'env.txt').is_file()


def test_gpu_speed_check_goes_on_after_a_failed_stage(tmp_path):
    out, bench, out_dir = _run_speed_check(
        tmp_path, FAKE_PY_FAIL='fake-data', FAKE_CONFIGS='configs/a.py')
    assert out.returncode == 0, out.stderr
    assert 'fake-data stopped' in (out_dir / 'fake-data.log').read_text()
    assert 'train' in bench  # the train stages still ran


def test_gpu_speed_check_can_skip_fake_data(tmp_path):
    out, bench, _ = _run_speed_check(tmp_path, FAKE_CONFIGS='')
    assert out.returncode == 0, out.stderr
    assert 'fake-data' not in bench


def _value(args, option):
    return args[args.index(option) + 1]


def test_gpu_regime_check_width_and_deadline(tmp_path):
    # WIDTH=32: both stages get the width, the checkpoint its name; the
    # regime stage runs while enough of END_BY is left.
    out, bench, out_dir = _run_speed_check(
        tmp_path, script='tools/gpu_regime_check.sh', WIDTH='32',
        SEEDS='0 1', JOBS='10', END_BY='500', MIN_REGIME='60')
    assert out.returncode == 0, out.stderr
    assert sorted(bench) == ['pretrain', 'regime']
    ckpt = str(out_dir / 'toy_patterns_backbone_w32.pth')
    assert _value(bench['pretrain'], '--out') == ckpt
    assert _value(bench['pretrain'], '--backbone-width') == '32'
    regime = bench['regime']
    assert _value(regime, '--checkpoint') == ckpt
    assert _value(regime, '--backbone-width') == '32'
    assert _value(regime, '--jobs') == '10'
    assert regime[regime.index('--seeds') + 1:][:2] == ['0', '1']
    assert (out_dir / 'pretrain.log').is_file()


def test_gpu_regime_check_skips_a_regime_stage_that_cannot_finish(tmp_path):
    # Less left of END_BY than MIN_REGIME (one wave of runs): the regime
    # stage does not start (a run stopped part-way records nothing).
    out, bench, out_dir = _run_speed_check(
        tmp_path, script='tools/gpu_regime_check.sh', END_BY='100',
        MIN_REGIME='340')
    assert out.returncode == 0, out.stderr
    assert sorted(bench) == ['pretrain']
    assert 'regime stage skipped' in (out_dir / 'regime.log').read_text()
    # REGIME_TIMEOUT instead of the deadline.
    out, bench, _ = _run_speed_check(
        tmp_path, script='tools/gpu_regime_check.sh', REGIME_TIMEOUT='400')
    assert out.returncode == 0, out.stderr
    assert 'regime' in bench
