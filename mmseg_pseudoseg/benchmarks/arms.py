"""The label-limited benchmark's arms on the toy patterns set (issue 16):
every arm at every fraction and seed, paired with the supervised arm by
seed, labeled split and initial weights.

An arm is a config plus overrides (:data:`ARMS`):

- ``supervised``: ``configs/supervised/toy-patterns.py``;
- ``pseudoseg``: ``configs/pseudoseg/toy-patterns.py``, the release's
  defaults (fused pseudo labels);
- ``decoder``: the same with ``pseudo_src='decoder'``, the release's own
  ablation (the decoder's soft labels alone; the classifier still trains);
- ``fixmatch-style``: the same without the classifier and SGC head, hard
  decoder labels above confidence 0.95 (the pilot's control);
- ``unimatch`` / ``fixmatch``: ``configs/{unimatch,fixmatch}/
  toy-patterns.py``, the second method as its release trains it;
- ``imglabels`` (not a default arm: it uses extra annotation):
  ``configs/pseudoseg/toy-patterns_imglabels.py``, PseudoSeg with the
  unlabeled images' image-level labels, the paper's second setting.

Runs are :func:`curve.train_one` jobs (one process each, resumable from a
JSON lines file). :func:`summarise_arms` gives, per fraction, each arm's
per-seed mIoU with mean +- std, and each arm's paired difference from the
supervised arm with its 95% t-interval, over the seeds both finished;
:func:`goal` checks the issue's goal for PseudoSeg.
"""
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence

from ..evaluation import mean_std, paired_interval
from .curve import _mean_history, make_job, run_key

_CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'configs')
SUPERVISED = 'supervised'
ARMS: Dict[str, dict] = {
    SUPERVISED: dict(config='supervised/toy-patterns.py', options=None),
    'pseudoseg': dict(config='pseudoseg/toy-patterns.py', options=None),
    'decoder': dict(
        config='pseudoseg/toy-patterns.py',
        options={'model.pseudo_src': 'decoder'}),
    'fixmatch-style': dict(
        config='pseudoseg/toy-patterns.py',
        options={
            'model.sgc_head': None,
            'model.pseudo_src': 'decoder',
            'model.confidence_threshold': 0.95,
            'model.unsup_loss.use_hard_labels': True
        }),
    # UniMatch's segmentor has no auxiliary head (as released), so its
    # runner draws other random numbers before the decode head is
    # initialised: it starts from the supervised arm's initial weights,
    # written by a supervised runner stopped before its first step.
    'unimatch': dict(config='unimatch/toy-patterns.py', options=None,
                     init_like_supervised=True),
    'fixmatch': dict(config='fixmatch/toy-patterns.py', options=None,
                     init_like_supervised=True),
    'imglabels': dict(config='pseudoseg/toy-patterns_imglabels.py',
                      options=None),
}
# What `tools/benchmark.py arms` runs unless told: every arm trained from
# the same annotation (``imglabels`` adds the unlabeled images' classes).
DEFAULT_ARMS = ('supervised', 'pseudoseg', 'decoder', 'fixmatch-style',
                'unimatch', 'fixmatch')
# Modules of the segmentor whose initial weights every arm shares with the
# supervised one (UniMatch's segmentor has no auxiliary head, as released).
PAIRED_MODULES = ('backbone', 'decode_head')


def arm_config(name: str) -> str:
    """Absolute path of an arm's config."""
    if name not in ARMS:
        raise KeyError(f'unknown arm {name!r}; arms: {sorted(ARMS)}')
    return osp.join(_CONFIGS, ARMS[name]['config'])


def config_width(name: str) -> int:
    """The backbone width (``base_channels``) of arm ``name``'s config."""
    from mmengine.config import Config
    model = Config.fromfile(arm_config(name)).model
    return int(model.get('segmentor', model).backbone.base_channels)


def _arm_cfg(name: str):
    """Arm ``name``'s config with the arm's own options merged."""
    from mmengine.config import Config
    cfg = Config.fromfile(arm_config(name))
    if ARMS[name]['options']:
        cfg.merge_from_dict(ARMS[name]['options'])
    return cfg


def width_options(name: str, width: Optional[int]) -> dict:
    """Config overrides that make arm ``name``'s backbone ``width``
    channels wide at its stem and first stage (``base_channels`` and
    ``stem_channels``; the later stages double them, as in the config),
    and every head that reads the backbone (decode head, its low-level
    input, auxiliary head, SGC head) take the channels it then gives:
    each ``in_channels`` scales by ``width`` over the config's width. The
    heads' own widths stay the config's. ``width`` None or the config's:
    no overrides."""
    if width is None:
        return {}
    if width < 1:
        raise ValueError(f'backbone width must be >= 1, got {width}')
    cfg = _arm_cfg(name)
    prefix = 'model.segmentor.' if 'segmentor' in cfg.model else 'model.'
    seg = cfg.model.get('segmentor', cfg.model)
    base = int(seg.backbone.base_channels)
    if width == base:
        return {}

    def scaled(channels):
        if isinstance(channels, (list, tuple)):
            return [scaled(c) for c in channels]
        return channels * width // base  # base x 2^k: exact

    opts = {
        prefix + 'backbone.base_channels': width,
        prefix + 'backbone.stem_channels': width,
        prefix + 'decode_head.in_channels':
        scaled(seg.decode_head.in_channels),
    }
    if 'c1_in_channels' in seg.decode_head:
        opts[prefix + 'decode_head.c1_in_channels'] = scaled(
            seg.decode_head.c1_in_channels)
    if seg.get('auxiliary_head'):
        opts[prefix + 'auxiliary_head.in_channels'] = scaled(
            seg.auxiliary_head.in_channels)
    if cfg.model.get('sgc_head'):
        opts['model.sgc_head.in_channels'] = scaled(
            cfg.model.sgc_head.in_channels)
    return opts


def classes_options(name: str, num_classes: Optional[int]) -> dict:
    """Config overrides that make arm ``name`` train on the patterns set
    with ``num_classes`` foreground classes instead of the configs' eight
    (``make_toy_patterns(..., num_classes=16)``): every ``num_classes`` in
    the config (heads, SGC head, label checks, anywhere in lists) counts
    them and background, and every patterns dataset is that variant's
    class (its class names and palette). ``num_classes`` None or 8: no
    overrides."""
    from mmseg_pseudoseg.datasets.toy_patterns import (CLASS_SETS,
                                                       PATTERN_CLASSES)
    from mmseg_pseudoseg.utils.config_checks import iter_dicts
    if num_classes in (None, 8):
        return {}
    if num_classes not in CLASS_SETS:
        raise ValueError(f'the toy patterns set has {sorted(CLASS_SETS)} '
                         f'foreground classes, not {num_classes}')
    cfg = _arm_cfg(name)
    dataset = f'ToyPatterns{num_classes}Dataset'
    opts = {}
    # What the runner builds; the other top-level keys are the bases'
    # variables, already resolved into these.
    for root in ('model', 'train_dataloader', 'val_dataloader',
                 'test_dataloader', 'val_evaluator', 'test_evaluator',
                 'custom_hooks'):
        for key, node in iter_dicts(cfg.get(root), root):
            path = re.sub(r'\[(\d+)\]', r'.\1', key)  # merge_from_dict's
            if 'num_classes' in node:
                if node['num_classes'] != len(PATTERN_CLASSES):
                    raise ValueError(
                        f"{arm_config(name)}: {path}.num_classes is "
                        f"{node['num_classes']}, not the eight-class set's "
                        f'{len(PATTERN_CLASSES)}; cannot tell what it counts')
                opts[f'{path}.num_classes'] = num_classes + 1
            if node.get('type') == 'ToyPatternsDataset':
                opts[f'{path}.type'] = dataset
    return opts


def make_arm_jobs(arms: Sequence[str], data_root: str,
                  denominators: Sequence[int], seeds: Sequence[int],
                  iters: Optional[int], work_root: str,
                  checkpoint: Optional[str] = None,
                  checkpoint_sha256: Optional[str] = None,
                  width: Optional[int] = None,
                  num_classes: Optional[int] = None) -> List[dict]:
    """Jobs for :func:`curve.run_jobs`, seed by seed and fewest labels
    first (a call cut short leaves whole (fraction, seed) cells).
    ``iters`` None: the configs' own schedule (4,000); ``checkpoint``:
    the pre-trained backbone every arm loads (recorded with its SHA-256);
    ``width``: the backbone's width instead of the configs' 16
    (:func:`width_options`; the checkpoint must be of that width);
    ``num_classes``: the set's foreground classes instead of the configs'
    eight (:func:`classes_options`; ``data_root`` must hold that set)."""
    if SUPERVISED not in arms:
        raise ValueError('the arms must include the supervised one: every '
                         'other arm is paired with it')
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise KeyError(f'unknown arms {unknown}; arms: {sorted(ARMS)}')

    widths = {name: dict(width_options(name, width),
                         **classes_options(name, num_classes))
              for name in arms}

    def options(name):
        opts = dict(ARMS[name]['options'] or {})
        opts.update(widths[name])
        if checkpoint:
            key = ('model.backbone.init_cfg.checkpoint' if name == SUPERVISED
                   else 'model.segmentor.backbone.init_cfg.checkpoint')
            opts[key] = checkpoint
        return opts or None

    jobs = []
    for seed in seeds:
        for n in denominators:
            for name in arms:
                extra = {}
                if ARMS[name].get('init_like_supervised'):
                    extra['init_from'] = initial_state_path(
                        work_root, seed, checkpoint_sha256)
                jobs.append(
                    make_job(name, arm_config(name), options(name),
                             data_root, n, seed, iters, work_root,
                             checkpoint_sha256=checkpoint_sha256, **extra))
    return jobs


def initial_state_path(work_root: str, seed: int,
                       checkpoint_sha256: Optional[str]) -> str:
    """Where the supervised arm's initial weights for ``seed`` go."""
    tag = (checkpoint_sha256 or 'random')[:12]
    return osp.join(work_root, 'initial_weights', f'{tag}_seed{seed}.pth')


def initial_state_jobs(jobs: List[dict]) -> List[dict]:
    """:func:`curve.train_one` jobs that write the files the ``init_from``
    of ``jobs`` name and are missing: the supervised arm's runner at that
    seed, stopped before its first step (its initial weights do not
    depend on the fraction; the summary's ``same_init`` checks it)."""
    out = {}
    for job in jobs:
        path = job.get('init_from')
        if not path or path in out or osp.isfile(path):
            continue
        sup = next((j for j in jobs if j['kind'] == SUPERVISED
                    and j['seed'] == job['seed']), None)
        if sup is None:
            raise ValueError(f"{job['key']} starts from the supervised "
                             "arm's weights: that arm must be run too")
        out[path] = dict(sup, key=f"initial_weights/seed{job['seed']}",
                         save_init=dict(path=path,
                                        modules=list(PAIRED_MODULES)))
    return list(out.values())


def _same_init(a: dict, b: dict) -> bool:
    """Whether two runs started from the same backbone and decode head
    weights (per-module fingerprints; runs recorded before those existed
    compare the whole segmentor's)."""
    fa, fb = a.get('init_fingerprints') or {}, b.get('init_fingerprints') or {}
    if not (fa and fb):
        return a.get('init_fingerprint') is not None and (
            a.get('init_fingerprint') == b.get('init_fingerprint'))
    return all(
        fa.get(m) is not None and fa.get(m) == fb.get(m)
        for m in PAIRED_MODULES)


def _fill_module_fingerprints(
        results: Dict[str, dict],
        donors: Iterable[dict] = ()) -> Dict[str, dict]:
    """Runs recorded before per-module fingerprints existed, given those of
    another run (of ``results`` or ``donors``: other recorded runs) whose
    whole-segmentor fingerprint is the same: that digest covers every key
    and tensor of the state, so equal digests mean equal modules. Nothing
    is filled where no such run was recorded."""
    by_whole = {}
    for run in list(results.values()) + list(donors):
        if run.get('init_fingerprints') and run.get('init_fingerprint'):
            by_whole.setdefault(run['init_fingerprint'],
                                run['init_fingerprints'])
    out = {}
    for key, run in results.items():
        donor = by_whole.get(run.get('init_fingerprint'))
        if not run.get('init_fingerprints') and donor:
            run = dict(run, init_fingerprints=dict(donor))
        out[key] = run
    return out


def supervised_from_regime(jobs: List[dict],
                           regime_runs: Dict[str, dict],
                           machine: Optional[dict] = None) -> List[dict]:
    """The regime check's pre-trained runs that are exactly this
    benchmark's supervised runs (same config, overrides, data, split,
    seed and iterations), recorded as such: the supervised arm need not
    be trained twice.

    With ``machine`` (:func:`curve.machine_info` of the machine the other
    arms train on) only runs recorded on that machine are taken: a run
    agrees to the digit with its rerun on one machine, not across
    machines, so a pair by seed stays within one machine. A record from
    before records named the GPU counts as a CPU run's.
    """
    out = []
    for job in jobs:
        if job['kind'] != SUPERVISED:
            continue
        run = regime_runs.get(
            run_key('pretrained', job['denominator'], job['seed']))
        if run and all(run.get(k) == job.get(k)
                       for k in ('config', 'cfg_options', 'data_root',
                                 'split_dir', 'iters')) and (
                machine is None or dict(
                    dict(gpu=''), **(run.get('machine') or {})) == machine):
            out.append(dict(run, **job))
    return out


def summarise_arms(results: Dict[str, dict], arms: Sequence[str],
                   denominators: Sequence[int],
                   seeds: Sequence[int],
                   donors: Iterable[dict] = ()) -> List[dict]:
    """Per fraction (fewest labels first): ``arms`` (name -> ``seeds``,
    ``miou`` per seed, ``mean``, ``std``) and ``vs_supervised`` (name ->
    paired difference over the seeds both finished: ``seeds``, ``diffs``,
    ``mean``, ``low``, ``high``, ``same_init``: how many pairs started
    from the same backbone and decode head weights, also where one run
    of a pair predates per-module fingerprints and another run of its
    whole-segmentor fingerprint has them, among ``results`` or
    ``donors``: the other runs recorded beside them), plus each arm's
    pseudo-label ``history`` (mean over its seeds)."""
    results = _fill_module_fingerprints(results, donors)
    rows = []
    for n in denominators:
        row = dict(denominator=n, arms={}, vs_supervised={}, history={})
        for name in arms:
            runs = [results.get(run_key(name, n, s)) for s in seeds]
            runs = [r for r in runs if r]
            if not runs:
                continue
            values = [r['miou'] for r in runs]
            row['arms'][name] = dict(seeds=[r['seed'] for r in runs],
                                     miou=values, **mean_std(values))
            hist = _mean_history(runs)
            if hist:
                row['history'][name] = hist
            if name == SUPERVISED:
                continue
            pairs = [(results.get(run_key(SUPERVISED, n, r['seed'])), r)
                     for r in runs]
            pairs = [(a, b) for a, b in pairs if a]
            if len(pairs) < 2:
                continue
            arm = [b['miou'] for _, b in pairs]
            sup = [a['miou'] for a, _ in pairs]
            row['vs_supervised'][name] = dict(
                seeds=[b['seed'] for _, b in pairs],
                diffs=[x - y for x, y in zip(arm, sup)],
                same_init=sum(_same_init(a, b) for a, b in pairs),
                **paired_interval(arm, sup))
        if row['arms']:
            rows.append(row)
    return rows


def goal(rows: List[dict], arm: str = 'pseudoseg',
         fractions: Sequence[int] = (16, 8), margin: float = 3.0) -> dict:
    """The issue's goal for ``arm``: at each of ``fractions``, beat the
    supervised arm by >= ``margin`` mIoU with the paired 95% interval
    above 0; and its fused pseudo labels at least as good as the
    decoder's in the same runs (mIoU over classes, last tenth of
    training). Missing measurements count as not met."""
    checks = {}
    by_n = {r['denominator']: r for r in rows}
    for n in fractions:
        d = by_n.get(n, {}).get('vs_supervised', {}).get(arm)
        checks[f'1/{n}: {arm} - supervised >= {margin:g}'] = bool(
            d and d['mean'] >= margin)
        checks[f'1/{n}: 95% interval above 0'] = bool(d and d['low'] > 0)
    fused, decoder = [], []
    for r in rows:
        h = r['history'].get(arm, {})
        if h.get('pl_miou_pseudo') and h.get('pl_miou_decoder'):
            fused.append(h['pl_miou_pseudo'][-1])
            decoder.append(h['pl_miou_decoder'][-1])
    checks['fused pseudo labels >= decoder\'s (pseudo-label mIoU, every '
           'fraction, last tenth)'] = bool(fused) and all(
               f >= d for f, d in zip(fused, decoder))
    return dict(checks=checks, met=all(checks.values()))


def format_arms(rows: List[dict], train_size: Optional[int] = None) -> str:
    """Tables: mIoU per arm, and each arm minus supervised."""
    arms = [a for a in ARMS if any(a in r['arms'] for r in rows)]
    lines = ['| labeled | ' + ' | '.join(arms) + ' |',
             '|---|' + '---|' * len(arms)]
    for r in rows:
        n = r['denominator']
        frac = f'1/{n}' + (f' ({-(-train_size // n)})' if train_size else '')
        cells = []
        for a in arms:
            v = r['arms'].get(a)
            cells.append(f"{v['mean']:.2f} +- {v['std']:.2f} (n={v['n']})"
                         if v else '-')
        lines.append(f'| {frac} | ' + ' | '.join(cells) + ' |')
    others = [a for a in arms if a != SUPERVISED]
    if others:
        lines += ['', 'arm - supervised, paired by seed: mean [95% '
                  'interval] (same initial weights / pairs)', '',
                  '| labeled | ' + ' | '.join(others) + ' |',
                  '|---|' + '---|' * len(others)]
        for r in rows:
            cells = []
            for a in others:
                d = r['vs_supervised'].get(a)
                cells.append(
                    f"{d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}] "
                    f"({d.get('same_init', '?')}/{d['n']})" if d else '-')
            lines.append(f"| 1/{r['denominator']} | " + ' | '.join(cells) +
                         ' |')
    hist = [(r['denominator'], a, h) for r in rows
            for a, h in r['history'].items()
            if h.get('pl_miou_pseudo') or h.get('pl_miou_decoder')]
    if hist:
        lines += ['', 'pseudo-label mIoU on the weak view, last tenth of '
                  'training (fused / decoder / SGC where the arm has them; '
                  'share of foreground labelled background)', '',
                  '| labeled | arm | mIoU fused | decoder | SGC | fg->bg '
                  'fused | decoder | SGC |', '|---|---|---|---|---|---|---|'
                  '---|']
        for n, a, h in hist:
            cells = [f'{h[k][-1]:.3f}' if h.get(k) else '-'
                     for k in ('pl_miou_pseudo', 'pl_miou_decoder',
                               'pl_miou_sgc', 'pl_fg_to_bg_pseudo',
                               'pl_fg_to_bg_decoder', 'pl_fg_to_bg_sgc')]
            lines.append(f'| 1/{n} | {a} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
