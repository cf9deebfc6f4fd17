"""Is the supervised arm label-limited? The check the label-limited
benchmark must pass before any semi-supervised run (issue 16).

The supervised config is trained at 1/16, 1/8, 1/4 and 1/2 labeled from
the pre-trained backbone, and at 1/16 from random initial weights, for the
same seeds (paired: same seed, same labeled split), with
:func:`curve.train_one` in separate processes, resumable from a JSON lines
file. The criterion:

- the mean mIoU rises at every step 1/16 < 1/8 < 1/4 < 1/2;
- 1/2 - 1/16 >= ``min_gain`` (10) mIoU, with the paired 95% interval of
  that difference above zero;
- pre-trained beats random init at 1/16 (paired 95% interval above zero).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ..evaluation import mean_std, paired_interval
from .curve import make_job, run_key

PRETRAINED, RANDOM = 'pretrained', 'random'
FRACTIONS = (16, 8, 4, 2)


def make_regime_jobs(config: str, checkpoint: str, checkpoint_sha256: str,
                     data_root: str, seeds: Sequence[int], iters: int,
                     work_root: str,
                     denominators: Sequence[int] = FRACTIONS,
                     width: Optional[int] = None,
                     num_classes: Optional[int] = None) -> List[dict]:
    """Jobs for :func:`curve.run_jobs`: pre-trained at every fraction,
    random init at the smallest, every seed; seed by seed, so a call cut
    short leaves whole seeds to summarise. ``width``: the backbone's
    width instead of the supervised config's (:func:`arms.width_options`;
    ``config`` must then be that config); ``num_classes``: the set's
    foreground classes instead of the config's eight
    (:func:`arms.classes_options`, the same condition)."""
    from .arms import SUPERVISED, arm_config, classes_options, width_options
    widen = {}
    for name, value in (('a backbone width', width),
                        ('a number of classes', num_classes)):
        if value is not None and \
                osp.abspath(config) != arm_config(SUPERVISED):
            raise ValueError(f'{name} is given for the supervised arm\'s '
                             f'config, not {config}')
    widen = dict(width_options(SUPERVISED, width),
                 **classes_options(SUPERVISED, num_classes))
    jobs = []
    arms = [(PRETRAINED, n) for n in denominators]
    arms.append((RANDOM, max(denominators)))
    for seed in seeds:
        for kind, n in arms:
            if kind == PRETRAINED:
                options = {'model.backbone.init_cfg.checkpoint': checkpoint}
            else:
                options = {'model.backbone.init_cfg': None}
            options.update(widen)
            sha = checkpoint_sha256 if kind == PRETRAINED else None
            jobs.append(
                make_job(kind, config, options, data_root, n, seed, iters,
                         work_root, checkpoint_sha256=sha))
    return jobs


def stale_results(jobs: List[dict], done: Dict[str, dict]) -> List[str]:
    """Keys of finished runs that came from another checkpoint than the
    job's (same path, other bytes): they must not be mixed in."""
    return [
        j['key'] for j in jobs if j['key'] in done
        and done[j['key']].get('checkpoint_sha256') != j['checkpoint_sha256']
    ]


def summarise_regime(results: Dict[str, dict],
                     seeds: Sequence[int],
                     denominators: Sequence[int] = FRACTIONS,
                     min_gain: float = 10.0) -> dict:
    """Per fraction mean +- std, paired differences and the criterion.

    Args:
        results (dict): key (``run_key``) -> run with ``miou``.
        seeds (Sequence[int]): Seeds to pair; a seed missing any run of
            the check is left out of every figure (so all are paired).
        denominators (Sequence[int]): Fractions 1/n, fewest labels first.
        min_gain (float): Least mean gain from the first to the last
            fraction. Defaults to 10.

    Returns:
        dict: ``seeds`` (used), ``fractions`` (per n: ``miou`` per seed,
        ``mean``/``std``), ``steps`` (paired differences of consecutive
        fractions), ``gain`` (last - first), ``vs_random`` (pre-trained -
        random at the first fraction), ``random``, ``checks`` (name ->
        bool) and ``passed``.
    """
    first, last = denominators[0], denominators[-1]
    keys = [(PRETRAINED, n) for n in denominators] + [(RANDOM, first)]
    used = [s for s in seeds
            if all(run_key(k, n, s) in results for k, n in keys)]
    if len(used) < 2:
        raise ValueError(f'the regime check needs >= 2 seeds with every '
                         f'run; complete: {used} of {list(seeds)}')

    def mious(kind, n):
        return [results[run_key(kind, n, s)]['miou'] for s in used]

    fractions = {
        n: dict(miou=mious(PRETRAINED, n), **mean_std(mious(PRETRAINED, n)))
        for n in denominators
    }
    steps = []
    for a, b in zip(denominators, denominators[1:]):
        d = paired_interval(mious(PRETRAINED, b), mious(PRETRAINED, a))
        steps.append(dict(low_labels=a, high_labels=b, **d))
    gain = paired_interval(mious(PRETRAINED, last), mious(PRETRAINED, first))
    random = dict(miou=mious(RANDOM, first), **mean_std(mious(RANDOM, first)))
    vs_random = paired_interval(mious(PRETRAINED, first), mious(RANDOM, first))
    checks = {
        'rises at every step': all(s['mean'] > 0 for s in steps),
        f'1/{last} - 1/{first} >= {min_gain:g}': gain['mean'] >= min_gain,
        f'1/{last} - 1/{first}: 95% interval above 0': gain['low'] > 0,
        f'beats random init at 1/{first} (95% interval above 0)':
        vs_random['low'] > 0,
    }
    machines, digests = {}, {}
    for s in used:
        runs = [results[run_key(k, n, s)] for k, n in keys]
        machines[s] = sorted({machine_name(r.get('machine')) for r in runs})
        digests[s] = sorted({r.get('data_digest') or 'unknown' for r in runs})
    return dict(seeds=used, fractions=fractions, steps=steps, gain=gain,
                random=random, vs_random=vs_random, checks=checks,
                passed=all(checks.values()), machines=machines,
                data_digests=digests)


def machine_name(machine: Optional[dict]) -> str:
    """One line naming the machine a run was recorded on (its
    ``machine``, :func:`curve.machine_info`)."""
    if not machine:
        return 'unknown machine'
    name = f"{machine.get('cpu') or 'unknown CPU'}"
    if machine.get('cpu_capability'):
        name += f" ({machine['cpu_capability']})"
    if machine.get('gpu'):
        name += f", {machine['gpu']}"
    return name + ''.join(f', {k} {machine[k]}'
                          for k in ('torch', 'numpy', 'pillow')
                          if machine.get(k))


def _seeds_by_value(per_seed: Dict[int, List[str]]) -> Dict[str, list]:
    """``seed -> values`` (e.g. machines) as ``value -> seeds``."""
    out: Dict[str, list] = {}
    for seed, values in per_seed.items():
        for value in values:
            out.setdefault(value, []).append(seed)
    return out


def format_regime(summary: dict) -> str:
    """The check's table and verdict."""
    lines = ['| labeled | mIoU (mean +- std) | per seed |', '|---|---|---|']
    for n, f in summary['fractions'].items():
        lines.append(f"| 1/{n} | {f['mean']:.2f} +- {f['std']:.2f} | " +
                     ' '.join(f'{x:.1f}' for x in f['miou']) + ' |')
    r = summary['random']
    lines.append(f"| random init, 1/{list(summary['fractions'])[0]} | "
                 f"{r['mean']:.2f} +- {r['std']:.2f} | " +
                 ' '.join(f'{x:.1f}' for x in r['miou']) + ' |')
    lines += ['', '| paired difference | mean | 95% interval |',
              '|---|---|---|']

    def row(name, d):
        lines.append(f"| {name} | {d['mean']:+.2f} | "
                     f"[{d['low']:+.2f}, {d['high']:+.2f}] |")

    for s in summary['steps']:
        row(f"1/{s['high_labels']} - 1/{s['low_labels']}", s)
    first, last = list(summary['fractions'])[0], list(
        summary['fractions'])[-1]
    row(f'1/{last} - 1/{first}', summary['gain'])
    row(f'pre-trained - random init at 1/{first}', summary['vs_random'])
    lines += ['', f"seeds {summary['seeds']}"]
    machines = summary.get('machines') or {}
    lines += [f'seed {seed}: runs from {len(names)} machines (its paired '
              'differences mix them)'
              for seed, names in machines.items() if len(names) > 1]
    for per_seed, label in ((machines, '{}'),
                            (summary.get('data_digests') or {},
                             "the set's bytes {:.12}")):
        by_value = _seeds_by_value(per_seed)
        if len(by_value) > 1:
            lines += [f"seeds {' '.join(map(str, seeds))}: "
                      + label.format(value)
                      for value, seeds in by_value.items()]
    lines += [f"{'PASS' if ok else 'FAIL'}: {name}"
              for name, ok in summary['checks'].items()]
    lines.append('regime check: ' +
                 ('PASSED' if summary['passed'] else 'FAILED'))
    return '\n'.join(lines)
