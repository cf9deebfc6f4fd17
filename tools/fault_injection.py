"""Inject training faults at toy scale and report how the run handled them.

Each case runs the real command-line tools (tools/train.py, tools/test.py,
tools/dist_train.sh) on the built-in toy set, written to a temporary
folder, and prints a table: case | what happened | pass/fail.

Example (CPU, about 3 minutes on 2 cores; --quick skips the 2-process
cases and the natural-divergence cases, about 1 minute; the kill -9
during a save case, added later, took 66 s more when run alone, its
reference run included):

    python tools/fault_injection.py [--quick] [--keep DIR]
"""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import warnings

warnings.filterwarnings('ignore', category=UserWarning)  # import chatter
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)  # run from a checkout without installing
import mmseg_pseudoseg  # noqa: E402,F401  (registration, checkpoint globals)
from mmseg_pseudoseg.datasets import (make_toy_dataset,  # noqa: E402
                                      set_data_root)
from mmseg_pseudoseg.engine.utils import logged_train_scalars  # noqa: E402

ENV = dict(
    os.environ,
    OMP_NUM_THREADS='1',
    PYTHONWARNINGS='ignore',
    PYTHON=sys.executable,
    PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))


class Bench:
    """Toy configs and runs under one temporary folder."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.data = make_toy_dataset(
            osp.join(root, 'toy'), num_train=16, num_val=4, seed=0)

    def config(self, name, model='pseudoseg', max_iters=9, **options):
        """Write a short toy config; ``options`` are --cfg-options."""
        cfg = Config.fromfile(osp.join(REPO, f'configs/{model}/toy.py'))
        set_data_root(cfg._cfg_dict, self.data)
        cfg.train_cfg.max_iters = max_iters
        cfg.train_cfg.val_interval = 3
        cfg.param_scheduler[0].end = max_iters
        cfg.default_hooks.logger.interval = 1
        cfg.default_hooks.checkpoint.interval = 3
        cfg.default_hooks.checkpoint.max_keep_ckpts = 3
        cfg.train_dataloader.batch_size = 2
        for name_ in ('train_dataloader', 'val_dataloader',
                      'test_dataloader'):
            cfg[name_].num_workers = 0
            cfg[name_].persistent_workers = False
        cfg.merge_from_dict(options)
        path = osp.join(self.root, f'{name}.py')
        cfg.dump(path)
        return path

    def work(self, name):
        return osp.join(self.root, 'work', name)

    @staticmethod
    def run(*cmd, timeout=600):
        start = time.time()
        out = subprocess.run(
            cmd,
            cwd=REPO,
            env=dict(ENV, PORT=str(_free_port())),
            capture_output=True,
            text=True,
            timeout=timeout)
        return out.returncode, out.stdout + out.stderr, time.time() - start

    def train(self, cfg, work, *args):
        return self.run(sys.executable, 'tools/train.py', cfg, '--work-dir',
                        work, *args)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _error(log):
    """The last exception of a log, ``Type: message`` (first line)."""
    lines = [
        line for line in log.splitlines()
        if re.match(r'^[\w.]*(Error|Exception|Fault)\w*: ', line)
    ]
    if not lines:
        return '(no exception)'
    return re.sub(r'^(?:\w+\.)*(\w+: )', r'\1', lines[-1])


def _short(text, limit=160):
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _checkpoints_finite(work):
    """(number of checkpoints, number holding a NaN/inf tensor)."""
    paths = glob.glob(osp.join(work, '*.pth'))
    bad = 0
    for path in paths:
        state = torch.load(path, map_location='cpu')['state_dict']
        bad += any(not v.isfinite().all() for v in state.values()
                   if v.is_floating_point())
    return len(paths), bad


def _same_run(work, reference, last):
    """Max |difference| of logged values and of final weights."""
    a, b = logged_train_scalars(work), logged_train_scalars(reference)
    diff = max((abs(a[i][k] - b[i][k]) for i in b for k in b[i]
                if i in a and k in a[i]),
               default=float('inf'))
    if a.keys() != b.keys():
        diff = float('inf')
    sa = torch.load(osp.join(work, f'iter_{last}.pth'))['state_dict']
    sb = torch.load(osp.join(reference, f'iter_{last}.pth'))['state_dict']
    wdiff = max((sa[k].double() - sb[k].double()).abs().max().item()
                for k in sb if sb[k].is_floating_point())
    return diff, wdiff


# ----------------------------------------------------------------------
# Cases: each returns (what happened, passed).
def case_diverging_lr(bench):
    cfg = bench.config('lr', **{'optim_wrapper.optimizer.lr': 1e3})
    rc, log, _ = bench.train(cfg, bench.work('lr'))
    n, bad = _checkpoints_finite(bench.work('lr'))
    ok = rc != 0 and 'NonFiniteError' in log and bad == 0
    return (f'exit {rc}; {_short(_error(log))}; {n} checkpoint(s) kept, '
            f'{bad} non-finite'), ok


def case_huge_unsup_weight(bench):
    cfg = bench.config(
        'unsup', **{
            'model.unsup_weight': 1e38,
            'custom_hooks': [dict(type='PseudoLabelFusionHook')]
        })
    rc, log, _ = bench.train(cfg, bench.work('unsup'))
    n, bad = _checkpoints_finite(bench.work('unsup'))
    ok = rc != 0 and 'non-finite loss at iteration' in log and bad == 0
    return (f'exit {rc}; {_short(_error(log))}; {n} checkpoint(s), '
            f'{bad} non-finite'), ok


def case_skip_mode(bench):
    cfg = bench.config(
        'skip',
        model='supervised',
        custom_hooks=[
            dict(type='FaultInjectionHook', fault='nan', iteration=2),
            dict(type='NonFiniteGuardHook', action='skip')
        ])
    rc, log, _ = bench.train(cfg, bench.work('skip'))
    n, bad = _checkpoints_finite(bench.work('skip'))
    skips = re.findall(r'(\d+) skipped so far', log)
    ok = rc == 0 and skips == ['1'] and bad == 0 and n > 0
    return (f'exit {rc}; NaN loss at iteration 2 skipped ({len(skips)} '
            f'warning(s)); {n} checkpoint(s), {bad} non-finite'), ok


def case_kill_resume(bench):
    cfg = bench.config('resume')
    reference = bench.work('reference')
    rc, log, _ = bench.train(cfg, reference)
    if rc != 0:
        return f'reference run failed: {_short(_error(log))}', False
    work = bench.work('killed')
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', cfg, '--work-dir', work],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    marker = osp.join(work, 'last_checkpoint')
    while proc.poll() is None:
        if osp.isfile(marker) and open(marker).read().strip():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    killed_at = open(marker).read().strip()
    if proc.wait() != -signal.SIGKILL:
        return 'the run ended before it could be killed', False
    rc, log, _ = bench.train(cfg, work, '--resume')
    diff, wdiff = _same_run(work, reference, 9)
    ok = rc == 0 and diff == 0 and wdiff == 0
    return (f'SIGKILL after {osp.basename(killed_at)}, --resume: largest '
            f'difference from the uninterrupted run: {diff:g} in the logged '
            f'values of 9 iterations, {wdiff:g} in the final weights'), ok


def _reference(bench):
    """The uninterrupted 9-iteration run (written once)."""
    cfg, reference = bench.config('resume'), bench.work('reference')
    if not osp.isfile(osp.join(reference, 'iter_9.pth')):
        bench.train(cfg, reference)
    return reference


def case_kill_during_save(bench):
    # As the shipped toy configs: only the newest checkpoint is kept.
    reference = _reference(bench)
    fault = dict(type='FaultInjectionHook', fault='kill_in_save', iteration=6)
    killed = bench.config(
        'kill_in_save', **{'default_hooks.checkpoint.max_keep_ckpts': 1})
    cfg = Config.fromfile(killed)
    cfg.custom_hooks.append(fault)
    cfg.dump(killed)
    work = bench.work('kill_in_save')
    rc, log, _ = bench.train(killed, work)
    if rc != -signal.SIGKILL or 'kill_in_save on rank 0' not in log:
        return f'the run was not killed in the save: exit {rc}', False
    left = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    marker = open(osp.join(work, 'last_checkpoint')).read().strip()
    cfg = bench.config(
        'kill_in_save_resume',
        **{'default_hooks.checkpoint.max_keep_ckpts': 1})
    rc, log, _ = bench.train(cfg, work, '--resume')
    skipped = re.findall(r'--resume: skipped', log)
    diff, wdiff = _same_run(work, reference, 9)
    ok = (left == ['iter_3.pth'] and marker.endswith('iter_3.pth')
          and rc == 0 and not skipped and diff == 0 and wdiff == 0)
    return (f'SIGKILL half-way through writing iter_6.pth: checkpoints '
            f'left {", ".join(left)}, last_checkpoint names '
            f'{osp.basename(marker)}; --resume from it ({len(skipped)} '
            f'skipped): largest difference from the uninterrupted run '
            f'{diff:g} (logged values), {wdiff:g} (final weights)'), ok


def case_unreadable_resume(bench):
    cfg = bench.config('resume')
    reference, work = bench.work('reference'), bench.work('unreadable')
    if not osp.isfile(osp.join(reference, 'iter_9.pth')):
        bench.train(cfg, reference)
    shutil.copytree(reference, work)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_9.pth'))
    open(osp.join(work, 'iter_9.pth'), 'wb').close()
    with open(osp.join(work, 'iter_6.pth'), 'r+b') as f:
        f.truncate(1000)
    rc, log, _ = bench.train(cfg, work, '--resume')
    notes = re.findall(r'--resume: (skipped checkpoint \S+ is \w+|'
                       r'resuming from \S+)', log)
    diff, wdiff = _same_run(work, reference, 9)
    ok = rc == 0 and len(notes) == 3 and diff == 0 and wdiff == 0
    notes = '; '.join(n.replace(work + '/', '') for n in notes)
    return f'{notes}; exact: {diff == wdiff == 0}', ok


def case_no_readable_checkpoint(bench):
    cfg = bench.config('resume')
    work = bench.work('none_readable')
    os.makedirs(work)
    open(osp.join(work, 'iter_3.pth'), 'wb').write(b'junk')
    open(osp.join(work, 'iter_6.pth'), 'wb').close()
    rc, log, _ = bench.train(cfg, work, '--resume')
    tried = re.findall(r'skipped checkpoint \S+/(iter_\d+.pth) (is [^:(]+)',
                       log)
    ok = rc != 0 and 'no readable checkpoint' in log and len(tried) == 2
    tried = ', '.join(f'{name} {why.strip()}' for name, why in tried)
    return f'exit {rc}; CheckpointError: no readable checkpoint: {tried}', ok


def case_test_bad_checkpoints(bench):
    cfg = bench.config('resume')
    empty = osp.join(bench.root, 'empty.pth')
    open(empty, 'wb').close()
    rc1, log1, _ = bench.run(sys.executable, 'tools/test.py', cfg, empty)
    reference = bench.work('reference')
    if not osp.isfile(osp.join(reference, 'iter_3.pth')):
        bench.train(cfg, reference)
    ckpt = torch.load(osp.join(reference, 'iter_3.pth'))
    weight = next(v for v in ckpt['state_dict'].values()
                  if v.is_floating_point())
    weight.view(-1)[0] = float('nan')
    nan = osp.join(bench.root, 'nan.pth')
    torch.save(ckpt, nan)
    rc2, log2, _ = bench.run(sys.executable, 'tools/test.py', cfg, nan,
                             '--work-dir', bench.work('test_nan'))
    ok = (rc1 != 0 and 'is empty (0 bytes)' in log1 and rc2 != 0
          and 'refusing to test' in log2
          and not re.search(r'mIoU: \d', log2))
    log1, log2 = (log.replace(bench.root + '/', '') for log in (log1, log2))
    return (f'empty: exit {rc1}, {_short(_error(log1), 70)}; NaN weight: '
            f'exit {rc2}, {_short(_error(log2), 90)}'), ok


def _dist(bench, name, *hooks):
    cfg = bench.config(
        name, model='supervised', max_iters=4, custom_hooks=list(hooks))
    return bench.run(
        'bash',
        'tools/dist_train.sh',
        cfg,
        '2',
        '--work-dir',
        bench.work(name),
        timeout=300)


def _dist_process_fault(bench, fault):
    rc, log, _ = _dist(
        bench, f'ddp_{fault}',
        dict(type='FaultInjectionHook', fault=fault, iteration=2, rank=1))
    end = time.time()
    stamp = re.search(r'FaultInjectionHook: \w+ on rank 1, iteration 2 at '
                      r't=([\d.]+)', log)
    after = end - float(stamp.group(1)) if stamp else float('nan')
    ok = rc != 0 and stamp is not None and 'Iter(train) [3/4]' not in log
    return (f'exit {rc}; the run ended {after:.1f} s after the fault '
            '(including the launcher shutting down)'), ok


def case_ddp_exception(bench):
    return _dist_process_fault(bench, 'raise')


def case_ddp_kill(bench):
    return _dist_process_fault(bench, 'kill')


def case_ddp_nan(bench):
    nan = dict(type='FaultInjectionHook', fault='nan', iteration=2, rank=1)
    rc1, log1, _ = _dist(bench, 'ddp_nan', nan)
    rc2, log2, _ = _dist(bench, 'ddp_nan_skip', nan,
                         dict(type='NonFiniteGuardHook', action='skip'))
    raised = log1.count('rank 1: loss=nan, decode.loss_ce=nan. Training '
                        'stopped')
    ok = rc1 != 0 and raised >= 2 and rc2 == 0 and \
        'nonfinite_skips: 1.0' in log2
    return (f'raise mode: exit {rc1}, both ranks raised: {raised >= 2}; '
            f'skip mode: exit {rc2}, iteration 2 skipped on both ranks'), ok


CASES = [
    ('NaN from lr=1e3', case_diverging_lr, False),
    ('NaN from unsup_weight=1e38', case_huge_unsup_weight, False),
    ('NaN loss, skip mode', case_skip_mode, True),
    ('kill -9 after a checkpoint, --resume', case_kill_resume, True),
    ('kill -9 during a checkpoint save, --resume', case_kill_during_save,
     True),
    ('newest checkpoints empty/truncated, --resume', case_unreadable_resume,
     True),
    ('no readable checkpoint, --resume', case_no_readable_checkpoint, True),
    ('tools/test.py: empty / NaN checkpoint', case_test_bad_checkpoints,
     True),
    ('2 processes: exception on rank 1', case_ddp_exception, False),
    ('2 processes: kill -9 of rank 1', case_ddp_kill, False),
    ('2 processes: NaN loss on rank 1', case_ddp_nan, False),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='skip the 2-process and the natural-divergence cases')
    parser.add_argument(
        '--keep', help='work in this folder and keep it (default: a '
        'temporary folder, removed)')
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix='fault_injection_')
    os.makedirs(root, exist_ok=True)
    rows, start = [], time.time()
    try:
        bench = Bench(root)
        for name, case, quick in CASES:
            if args.quick and not quick:
                continue
            t = time.time()
            try:
                what, ok = case(bench)
            except Exception as e:  # a case that crashes is a failure
                what, ok = f'case crashed: {type(e).__name__}: {e}', False
            rows.append((name, what, 'pass' if ok else 'FAIL',
                         f'{time.time() - t:.0f} s'))
            print(f'[{time.time() - t:5.1f} s] {name}: {rows[-1][2]}',
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f'\n{len(rows)} cases in {time.time() - start:.0f} s\n')
    print('| case | what happened | result | time |\n|---|---|---|---|')
    for row in rows:
        print('| ' + ' | '.join(c.replace('|', '/') for c in row) + ' |')
    sys.exit(0 if all(r[2] == 'pass' for r in rows) else 1)


if __name__ == '__main__':
    main()
