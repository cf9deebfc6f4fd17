"""Benchmarks: what PseudoSeg buys and what it costs. They print tables and
ratios measured in one run, never pass/fail.

Subcommands:
    calibration  accuracy, mIoU and ECE of the decoder, SGC and fused pseudo
                 labels of a PseudoSeg checkpoint on unlabeled training
                 images whose labels are known (never used in training),
                 with and without the shared scale, T = 0.3 .. 1.0; a
                 reliability diagram.
    curve        supervised vs PseudoSeg at 1/16 .. 1/2 labeled on the toy
                 scenes set, paired by seed: mean +- std, paired difference
                 with a 95% t-interval; a plot of mIoU against fraction.
    step         time (and peak memory) of one PseudoSeg step over the
                 supervised step on the same labeled batch, and of each of
                 its passes (the floor of the step).
    data         images per second per worker of the unlabeled (weak +
                 strong) pipeline against the labeled one at the VOC crop.
    miou         the toy shapes 1/8 comparison of the shipped toy configs,
                 per seed (the earlier benchmark; `curve` generalises it).
    fake-data    random images and label maps for every id a config's
                 split lists name, where its datasets look (timing only).
    train        time per iteration and peak memory of configs' real
                 training loops (data, hooks, optimiser), one process and
                 device each; ratios to the first config.
    per-class    per-class IoU and confusion of every checkpoint a `curve`
                 results file lists, on its validation set, over seeds.
    pretrain     pre-train the toy backbone as a classifier on procedural
                 patterns that are not the benchmark's classes; writes the
                 backbone checkpoint and its SHA-256.
    regime       the label-limited check of the toy patterns benchmark,
                 supervised arm only: 1/16 .. 1/2 from the pre-trained
                 backbone and 1/16 from random init, paired by seed;
                 pass/fail of the criterion (issue 16).
    mechanism    where the pseudo labels of PseudoSeg-family runs (`arms`
                 or `curve` results) lose the foreground, over seeds: each
                 source's mIoU and foreground called background, Grad-CAM
                 coverage of the objects, the classifier's image labels.
    arms         the label-limited benchmark: supervised, PseudoSeg, its
                 decoder-only ablation, a FixMatch-style control, UniMatch
                 and FixMatch (asked for: PseudoSeg with image-level
                 labels) on the toy patterns set at 1/16 .. 1/2,
                 paired by seed and initial weights; each arm minus
                 supervised with a 95% t-interval, PseudoSeg's goal.

Examples:
    python tools/benchmark.py curve --quick
    python tools/benchmark.py curve                      # ~1 h on 2 cores
    python tools/benchmark.py calibration --checkpoint \
        work_dirs/benchmark_curve/pseudoseg_1-8_seed0/iter_2000.pth
    python tools/benchmark.py per-class    # the curve's runs, after `curve`
    python tools/benchmark.py step --batch 4 --crop 64
    python tools/benchmark.py data --items 40
    python tools/benchmark.py fake-data --config configs/pseudoseg/voc_1-8.py
    python tools/benchmark.py train --iters 300 --warmup 100 --config \
        configs/supervised/voc_1-8.py configs/pseudoseg/voc_1-8.py
    python tools/benchmark.py pretrain --out \
        checkpoints/toy_patterns_backbone.pth            # CPU: ~8 min
    python tools/benchmark.py regime --seeds 0 1 2 3 4 --jobs 2
    python tools/benchmark.py arms --quick
    python tools/benchmark.py arms --arms supervised pseudoseg --seeds 0 1 \
        --fractions 16 8 --jobs 2
    python tools/benchmark.py mechanism --results \
        work_dirs/benchmark_arms/arms.jsonl --fractions 16
    # the width study: a half-wide backbone, pre-trained, checked, compared
    python tools/benchmark.py pretrain --backbone-width 8 --out \
        checkpoints/toy_patterns_backbone_w8.pth --iters 6000 --batch 256 \
        --lr 0.2 --num-train 60000 --device cpu        # CPU: ~27 min
    # width 32 takes hours on a CPU: --resume goes on after a stop
    python tools/benchmark.py pretrain --backbone-width 32 --out \
        checkpoints/toy_patterns_backbone_w32.pth --iters 6000 --batch 256 \
        --lr 0.2 --num-train 60000 --device cpu --resume
    python tools/benchmark.py regime --backbone-width 8 --checkpoint \
        checkpoints/toy_patterns_backbone_w8.pth --jobs 2
    # the classes axis: the set with sixteen classes (data/toy_patterns16)
    python tools/benchmark.py regime --classes 16 --jobs 2
"""
import argparse
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import mmseg_pseudoseg  # noqa: F401  (registration)
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmseg_pseudoseg.datasets import (make_toy_scenes, read_split,
                                      set_data_root)
from mmseg_pseudoseg.datasets.toy_scenes import write_scene_splits
from mmseg_pseudoseg.benchmarks import curve as curve_lib
from mmseg_pseudoseg.benchmarks import plots
from mmseg_pseudoseg.benchmarks.arms import ARMS, DEFAULT_ARMS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = dict(
    pseudoseg=osp.join(REPO, 'configs/pseudoseg/toy.py'),
    supervised=osp.join(REPO, 'configs/supervised/toy.py'))
TOY_METHODS = [f'UniMatch={osp.join(REPO, "configs/unimatch/toy.py")}',
               f'FixMatch={osp.join(REPO, "configs/fixmatch/toy.py")}']
SCENES = dict(
    pseudoseg=osp.join(REPO, 'configs/pseudoseg/toy-scenes.py'),
    supervised=osp.join(REPO, 'configs/supervised/toy-scenes.py'))
PATTERNS = dict(
    pseudoseg=osp.join(REPO, 'configs/pseudoseg/toy-patterns.py'),
    supervised=osp.join(REPO, 'configs/supervised/toy-patterns.py'))
VOC = osp.join(REPO, 'configs/pseudoseg/voc_1-8.py')


def _finite_or_null(obj):
    """``obj`` with every NaN or infinite float as None (JSON's null): the
    mechanism's per-class interval of one seed is NaN, which is not JSON
    (strict readers refuse the file)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_null(v) for v in obj]
    return obj


def _load_json(path, result):
    if path:
        with open(path, 'w') as f:
            json.dump(_finite_or_null(result), f, indent=1, default=str,
                      allow_nan=False)


def _ensure_scenes(root, fractions=(), seeds=()):
    """Write the scenes set if missing, and the split lists of any other
    (fraction, seed) asked for (e.g. 1/32, 1/64: the images stay)."""
    if not osp.isfile(osp.join(root, 'splits/seed0/1-16/labeled.txt')):
        print(f'writing the toy scenes set to {root}', flush=True)
        make_toy_scenes(root)
    missing = sorted({(n, s)
                      for n in fractions for s in seeds if not osp.isfile(
                          osp.join(root, f'splits/seed{s}/1-{n}/labeled.txt'))
                      })
    if missing:
        print(f'writing split lists {missing} under {root}', flush=True)
        write_scene_splits(root, sorted({n for n, _ in missing}),
                           sorted({s for _, s in missing}))
    return root


def bench_curve(args):
    if args.quick:
        args.seeds = args.seeds or [0, 1]
        args.fractions = args.fractions or [16, 4]
        args.iters = args.iters or 400
    seeds = args.seeds or [0, 1, 2, 3, 4]
    fractions = args.fractions or [16, 8, 4, 2]
    iters = args.iters or 2000
    root = _ensure_scenes(args.data_root, fractions, seeds)
    tag = 'curve-quick' if args.quick else 'curve'
    args.out = args.out or args.work_dir
    os.makedirs(args.out, exist_ok=True)
    results_file = args.results or osp.join(args.work_dir, f'{tag}.jsonl')
    configs = dict(
        pseudoseg=args.pseudoseg_config or SCENES['pseudoseg'],
        supervised=args.supervised_config or SCENES['supervised'])
    jobs = curve_lib.make_jobs(
        configs, osp.abspath(root), fractions, seeds, iters,
        osp.abspath(args.work_dir), dict(
            pseudoseg=args.pseudoseg_options,
            supervised=args.supervised_options))
    start = time.perf_counter()
    results = curve_lib.run_jobs(
        jobs, results_file, args.jobs, log=lambda m: print(m, flush=True))
    wall = time.perf_counter() - start
    rows = curve_lib.summarise(results, fractions, seeds)
    n_train = len(read_split(osp.join(root, 'ImageSets/Segmentation/'
                                      'train.txt')))
    n_val = len(read_split(osp.join(root, 'ImageSets/Segmentation/'
                                    'val.txt')))
    print(f'\ntoy scenes: {n_train} train / {n_val} val images, {iters} '
          f'iterations per run, seeds {seeds}, {args.jobs} runs at a time, '
          f'wall {wall / 60:.1f} min (this call)\n')
    print(curve_lib.format_curve(rows, n_train))
    png = plots.plot_curve(
        rows, osp.join(args.out, f'{tag}.png'),
        f'toy scenes, {iters} iterations, {len(seeds)} seeds')
    print(f'\nwrote {png}')
    if any(r['pl_history'] for r in rows):
        png = plots.plot_pl_history(
            rows, osp.join(args.out, f'{tag}-pseudo-label-accuracy.png'))
        print(f'wrote {png}')
    _load_json(args.json, rows)


def bench_pretrain(args):
    from mmseg_pseudoseg.benchmarks.pretrain import pretrain
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    result = pretrain(
        args.config, args.out, iters=args.iters, batch=args.batch,
        lr=args.lr, num_train=args.num_train, num_val=args.num_val,
        seed=args.seed, device=device, workers=args.workers,
        width=args.backbone_width, snapshot=args.snapshot,
        snapshot_interval=args.snapshot_interval, resume=args.resume,
        log=lambda m: print(m, flush=True))
    print(f"{result['path']}: {result['classes']} classes, held-out "
          f"accuracy {result['val_acc']:.1f}% (train "
          f"{result['train_acc']:.1f}%), {result['seconds']:.0f} s on "
          f"{device}\nsha256 {result['sha256']}")
    _load_json(args.json, result)


def _ensure_patterns(args, fractions):
    """The patterns set at ``args.data_root`` (written if missing; an
    older version of it is refused), the split lists of ``args.seeds``
    and the pre-trained checkpoint's SHA-256."""
    from mmseg_pseudoseg.datasets import check_toy_patterns, make_toy_patterns
    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    if not osp.isfile(args.checkpoint):
        sys.exit(f'{args.checkpoint}: no such checkpoint; make it with '
                 f'`python tools/benchmark.py pretrain --out '
                 f'{args.checkpoint}`')
    root = args.data_root = args.data_root or (
        'data/toy_patterns' if args.classes == 8 else
        f'data/toy_patterns{args.classes}')
    if not osp.isfile(osp.join(root, 'ImageSets/Segmentation/train.txt')):
        print(f'writing the toy patterns set to {root}', flush=True)
        make_toy_patterns(root, num_train=args.num_train,
                          num_val=args.num_val, num_classes=args.classes)
    try:
        check_toy_patterns(root, args.classes)
    except ValueError as err:
        sys.exit(str(err))
    missing = [s for s in args.seeds if not all(osp.isfile(
        osp.join(root, f'splits/seed{s}/1-{n}/labeled.txt'))
        for n in fractions)]
    if missing:
        write_scene_splits(root, fractions, missing)
    return root, file_sha256(args.checkpoint)


def _recorded_runs(jobs, results_file):
    """The finished runs of ``jobs`` in ``results_file``, matched by key,
    config file name, iterations and options other than paths (a file
    written on another machine names other absolute paths)."""
    def same(run, job):
        def options(r):
            return {k: v for k, v in (r.get('cfg_options') or {}).items()
                    if not k.endswith('.checkpoint')}
        return (osp.basename(run['config']) == osp.basename(job['config'])
                and run.get('iters') == job.get('iters')
                and options(run) == options(job))
    done = curve_lib.read_runs(results_file)
    return {j['key']: done[j['key']] for j in jobs
            if j['key'] in done and same(done[j['key']], j)}


def _train_or_recorded(jobs, results_file, args):
    """The runs of ``jobs``: trained where ``results_file`` lacks them, or
    with ``--no-train`` only those it records (also from elsewhere)."""
    if not args.no_train:
        return curve_lib.run_jobs(jobs, results_file, args.jobs,
                                  log=lambda m: print(m, flush=True))
    results = _recorded_runs(jobs, results_file)
    print(f'--no-train: {len(results)} of {len(jobs)} runs recorded in '
          f'{results_file}; summarising those', flush=True)
    return results


def _refuse_missing_checkpoints(runs, results_file):
    """Stop if a run of ``results_file`` names a checkpoint that is not
    there (before any model is built)."""
    missing = [r.get('checkpoint') for r in runs
               if not osp.isfile(r.get('checkpoint') or '')]
    if missing:
        sys.exit(f'{results_file}: {len(missing)} checkpoints it names do '
                 f'not exist, e.g. {missing[0]}')


def _refuse_stale(jobs, results_file, checkpoint, sha):
    """Stop if the results file holds runs of these jobs made from another
    checkpoint than ``checkpoint`` (SHA-256 ``sha``)."""
    from mmseg_pseudoseg.benchmarks.regime import stale_results
    stale = stale_results(jobs, curve_lib.read_runs(results_file))
    if stale:
        sys.exit(f'{results_file}: {len(stale)} runs (e.g. {stale[0]}) '
                 f'came from another checkpoint than {checkpoint} '
                 f'(sha256 {sha}); use another --work-dir')


def bench_regime(args):
    from mmseg_pseudoseg.benchmarks import regime
    root, sha = _ensure_patterns(args, regime.FRACTIONS)
    width = _checkpoint_width(args)
    try:
        jobs = regime.make_regime_jobs(
            args.config, osp.abspath(args.checkpoint), sha,
            osp.abspath(root), args.seeds, args.iters,
            osp.abspath(args.work_dir), width=args.backbone_width,
            num_classes=args.classes)
    except ValueError as err:
        sys.exit(f'--config: {err}')
    results_file = args.results or osp.join(args.work_dir, 'regime.jsonl')
    _refuse_stale(jobs, results_file, args.checkpoint, sha)
    start = time.perf_counter()
    results = _train_or_recorded(jobs, results_file, args)
    try:
        summary = regime.summarise_regime(results, args.seeds,
                                          min_gain=args.min_gain)
    except ValueError as err:
        sys.exit(f'{results_file}: {err}')
    print(f'\ntoy patterns, supervised, {args.iters} iterations per run, '
          f'{args.classes} classes, checkpoint {args.checkpoint} (sha256 '
          f'{sha[:12]}), backbone width {width}, wall '
          f'{(time.perf_counter() - start) / 60:.1f} min (this call)\n')
    print(regime.format_regime(summary))
    summary.update(checkpoint=args.checkpoint, checkpoint_sha256=sha,
                   iters=args.iters, config=args.config,
                   backbone_width=width, num_classes=args.classes)
    _load_json(args.out, summary)


def _checkpoint_width(args):
    """The backbone width the arms train (``--backbone-width``, else the
    configs'); stop before any run if ``--checkpoint`` was pre-trained at
    another (its meta's ``width``, else the configs' own width)."""
    from mmseg_pseudoseg.benchmarks import arms as arms_lib
    config_width = arms_lib.config_width(arms_lib.SUPERVISED)
    width = args.backbone_width or config_width
    meta = torch.load(args.checkpoint, map_location='cpu',
                      weights_only=True).get('meta') or {}
    have = meta.get('width', config_width)
    if have != width:
        sys.exit(f'--checkpoint {args.checkpoint}: pre-trained at backbone '
                 f'width {have}, but the arms train width {width} '
                 f'(--backbone-width); pre-train one with `python '
                 f'tools/benchmark.py pretrain --backbone-width {width} '
                 f'--out ...` or give its --backbone-width')
    return width


def _kept_rows(path, fractions):
    """The rows of the arms summary ``path`` whose fractions are not among
    ``fractions``, each marked with its ``source`` (``path`` unless it
    names one); read before any run starts."""
    try:
        with open(path) as f:
            old = json.load(f)['rows']
        kept = [dict(r, source=r.get('source', path)) for r in old
                if r['denominator'] not in fractions]
    except OSError as err:
        sys.exit(f'--keep-rows {path}: {err.strerror}')
    except (ValueError, KeyError, TypeError) as err:
        sys.exit(f'--keep-rows {path}: not an arms summary (--json of '
                 f'tools/benchmark.py arms): {err!r}')
    return kept


def bench_arms(args):
    from mmseg_pseudoseg.benchmarks import arms as arms_lib
    if args.quick:
        args.seeds = args.seeds or [0, 1]
        args.fractions = args.fractions or [16]
        args.iters = args.iters or 40
    seeds = args.seeds = args.seeds or [0, 1, 2, 3, 4]
    fractions = args.fractions or [16, 8, 4, 2]
    kept = _kept_rows(args.keep_rows, fractions) if args.keep_rows else []
    root, sha = _ensure_patterns(args, fractions)
    tag = 'arms-quick' if args.quick else 'arms'
    results_file = args.results or osp.join(args.work_dir, f'{tag}.jsonl')
    width = _checkpoint_width(args)
    try:
        jobs = arms_lib.make_arm_jobs(
            args.arms, osp.abspath(root), fractions, seeds, args.iters,
            osp.abspath(args.work_dir), osp.abspath(args.checkpoint), sha,
            width=args.backbone_width, num_classes=args.classes)
    except (KeyError, ValueError) as err:
        sys.exit(f'--arms: {err}')
    if args.reuse_regime:
        if not osp.isfile(args.reuse_regime):
            sys.exit(f'--reuse-regime {args.reuse_regime}: no such file')
        done = curve_lib.read_runs(results_file)
        regime = curve_lib.read_runs(args.reuse_regime)
        # Only runs of this machine: each pair by seed stays on one.
        here = arms_lib.supervised_from_regime(
            jobs, regime, machine=curve_lib.machine_info())
        elsewhere = len(arms_lib.supervised_from_regime(jobs, regime)) - \
            len(here)
        reused = [r for r in here if r['key'] not in done]
        os.makedirs(osp.dirname(osp.abspath(results_file)), exist_ok=True)
        with open(results_file, 'a') as f:
            f.writelines(json.dumps(r) + '\n' for r in reused)
        print(f'{len(reused)} supervised runs taken from '
              f'{args.reuse_regime}' + (
                  f'; {elsewhere} of its runs were made on another machine '
                  '(trained again here)' if elsewhere else ''), flush=True)
    _refuse_stale(jobs, results_file, args.checkpoint, sha)
    start = time.perf_counter()
    firsts = [] if args.no_train else arms_lib.initial_state_jobs(jobs)
    if firsts:
        print(f'writing the supervised arm\'s initial weights of seeds '
              f"{[j['seed'] for j in firsts]} (UniMatch's arms start from "
              'them)', flush=True)
        curve_lib.run_pool(firsts, args.jobs)
    results = _train_or_recorded(jobs, results_file, args)
    wall = time.perf_counter() - start
    # Every run recorded beside them can vouch for an older run's weights.
    donors = curve_lib.read_runs(results_file).values()
    rows = arms_lib.summarise_arms(results, args.arms, fractions, seeds,
                                   donors=donors)
    rows = sorted(rows + kept, key=lambda r: -r['denominator'])
    n_train = len(read_split(osp.join(root, 'ImageSets/Segmentation/'
                                      'train.txt')))
    schedule = f'{args.iters} iterations' if args.iters else \
        "the configs' schedule"
    print(f'\ntoy patterns: {n_train} train images, {schedule}, seeds '
          f'{seeds}, {args.jobs} runs at a time, wall {wall / 60:.1f} min '
          f'(this call), checkpoint {args.checkpoint} (sha256 {sha[:12]}), '
          f'backbone width {width}, {args.classes} classes\n')
    print(arms_lib.format_arms(rows, n_train))
    for row in kept:
        print(f"1/{row['denominator']}: kept from {row['source']}")
    summary = dict(set='toy_patterns', data_root=root, train_images=n_train,
                   iters=args.iters, seeds=seeds, arms=args.arms,
                   checkpoint=args.checkpoint, checkpoint_sha256=sha,
                   backbone_width=width, num_classes=args.classes,
                   rows=rows)
    if 'pseudoseg' in args.arms:
        summary['goal'] = arms_lib.goal(rows)
        met = summary['goal']['met']
        print(f"\ngoal (PseudoSeg): {'MET' if met else 'NOT MET'}")
        for name, ok in summary['goal']['checks'].items():
            print(f"{'PASS' if ok else 'FAIL'}: {name}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        png = plots.plot_arms(
            rows, osp.join(args.out, f'{tag}.png'),
            f'toy patterns, {schedule}, {len(seeds)} seeds')
        print(f'\nwrote {png}')
    _load_json(args.json, summary)


def bench_calibration(args):
    import numpy as np
    from mmengine.runner import load_checkpoint
    from mmseg.registry import DATASETS, MODELS

    from mmseg_pseudoseg.benchmarks.calibration import \
        pseudo_label_calibration
    from mmseg_pseudoseg.benchmarks.report import (
        format_calibration, format_calibration_history)
    init_default_scope('mmseg')
    cfg = Config.fromfile(args.config)
    if args.data_root:
        set_data_root(cfg._cfg_dict, args.data_root)
    unlabeled = cfg.train_dataloader.dataset.unlabeled
    if args.split_dir:
        unlabeled.ann_file = f'{args.split_dir}/unlabeled.txt'
    types = [t['type'] for t in unlabeled.pipeline]
    if 'LoadAnnotations' not in types:
        sys.exit(f'{args.config}: the unlabeled pipeline loads no labels; '
                 'calibration needs them (the toy configs load them)')
    dataset = DATASETS.build(unlabeled)
    classes = dataset.metainfo['classes']
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    results = {}
    for path in args.checkpoint:
        # Same views (augmentation draws) for every checkpoint.
        torch.manual_seed(args.seed)
        np.random.seed(args.seed)
        model = MODELS.build(cfg.model)
        load_checkpoint(model, path, map_location='cpu', logger='silent')
        model.to(device)
        results[path] = pseudo_label_calibration(
            model,
            dataset,
            args.batch or cfg.train_dataloader.batch_size,
            args.temperatures,
            args.bins,
            train_mode=not args.eval_mode,
            max_images=args.max_images,
            device=device)
    path, result = list(results.items())[-1]
    print(f'{result["images"]} unlabeled images of {unlabeled.ann_file} '
          '(labels never used in training), decoder pass in '
          f'{"inference" if args.eval_mode else "train"} mode, model T='
          f'{model.temperature}, calibrate={model.calibrate}\n')
    if len(results) > 1:
        print(format_calibration_history(results, classes,
                                         model.temperature))
        print()
    print(f'checkpoint {path}\n')
    print(format_calibration(result, classes, model.temperature))
    os.makedirs(args.out, exist_ok=True)
    t = model.temperature
    picks = {
        'decoder (softmax)': ('decoder', None, 1.0),
        'SGC (softmax)': ('SGC', None, 1.0),
        f'fused, scaled, T={t}': ('fused', True, t),
        f'fused, unscaled, T={t}': ('fused', False, t),
    }
    variants = {
        k: result['variants'][v]
        for k, v in picks.items() if v in result['variants']
    }
    png = plots.plot_reliability(
        variants, osp.join(args.out, f'{args.tag}-reliability.png'))
    print(f'\nwrote {png}')
    for r in results.values():
        r['variants'] = {
            ' '.join(map(str, k)): v
            for k, v in r['variants'].items()
        }
    _load_json(args.json, result if len(results) == 1 else results)


def bench_mechanism(args):
    import numpy as np
    from mmengine.runner import load_checkpoint
    from mmseg.registry import DATASETS, MODELS

    from mmseg_pseudoseg.benchmarks import mechanism
    from mmseg_pseudoseg.benchmarks.calibration import \
        pseudo_label_calibration
    if not osp.isfile(args.results):
        sys.exit(f'{args.results}: no such results file; `tools/benchmark.py '
                 'arms` (or `curve`) writes one')
    runs = list(curve_lib.read_runs(args.results).values())
    runs = [r for r in runs if r.get('kind') in args.arms
            and (not args.fractions or r['denominator'] in args.fractions)
            and (args.seeds is None or r['seed'] in args.seeds)]
    no_sgc = [r['key'] for r in runs
              if 'model.sgc_head' in (r.get('cfg_options') or {})
              and r['cfg_options']['model.sgc_head'] is None]
    if no_sgc:
        sys.exit(f'{args.results}: {no_sgc[0]} has no SGC head '
                 '(model.sgc_head=None); leave its arm out of --arms')
    if not runs:
        sys.exit(f'{args.results}: no run of --arms {args.arms} matches '
                 f'--fractions {args.fractions} --seeds {args.seeds}')
    try:
        recorded = mechanism.recorded_figures(args.figures, runs,
                                              args.max_images) \
            if args.figures else {}
    except ValueError as err:
        sys.exit(str(err))
    _refuse_missing_checkpoints(
        [r for r in runs if r['key'] not in recorded], args.results)
    init_default_scope('mmseg')
    MMLogger.get_current_instance().setLevel('WARNING')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    figures, per_class, classes = {}, {}, None

    def check_classes(run, names):
        if classes not in (None, names):
            sys.exit(f"{args.results}: {run['key']} has classes {names}, "
                     f'an earlier run {classes}; summarise them apart')

    def add(run, names, run_figures, run_per_class):
        nonlocal classes
        check_classes(run, names)
        classes = names
        key = (run['kind'], run['denominator'], run['seed'])
        figures[key], per_class[key] = run_figures, run_per_class
        return key

    for run in runs:
        line = recorded.get(run['key'])
        if line is not None:
            add(run, line['classes'], line['figures'], line['per_class'])
            print(f"{run['key']}: {line['images']} unlabeled images "
                  f'(figures from {args.figures})', flush=True)
    start = time.perf_counter()
    for run in sorted(runs, key=lambda r: r['key']):
        if run['key'] in recorded:
            continue
        cfg = Config.fromfile(run['config'])
        # Every source is scored, also in a run that trained on one alone
        # (the decoder arm): the source it used is not set here.
        options = {k: v for k, v in (run.get('cfg_options') or {}).items()
                   if k != 'model.pseudo_src'}
        cfg.merge_from_dict(options)
        set_data_root(cfg._cfg_dict, run['data_root'])
        unlabeled = cfg.train_dataloader.dataset.unlabeled
        unlabeled.ann_file = f"{run['split_dir']}/unlabeled.txt"
        if 'LoadAnnotations' not in [t['type'] for t in unlabeled.pipeline]:
            sys.exit(f"{run['config']}: the unlabeled pipeline loads no "
                     'labels; the mechanism figures need them')
        dataset = DATASETS.build(unlabeled)
        names = list(dataset.metainfo['classes'][1:])
        check_classes(run, names)  # before the scoring
        torch.manual_seed(run['seed'])  # the same views for every arm
        np.random.seed(run['seed'])
        model = MODELS.build(cfg.model)
        load_checkpoint(model, run['checkpoint'], map_location='cpu',
                        logger='silent')
        model.to(device)
        temps = sorted({1.0, model.temperature})
        result = pseudo_label_calibration(
            model, dataset, cfg.train_dataloader.batch_size, temps,
            max_images=args.max_images, device=device)
        key = add(run, names,
                  mechanism.run_figures(result, model.temperature,
                                        model.calibrate),
                  mechanism.run_per_class(result, model.temperature,
                                          model.calibrate))
        if args.figures:  # kept as soon as scored
            line = mechanism.figures_record(
                run, args.max_images, result['images'], names,
                figures[key], per_class[key])
            with open(args.figures, 'a') as f:
                f.write(json.dumps(line) + '\n')
        print(f"{run['key']}: {result['images']} unlabeled images",
              flush=True)
    rows = mechanism.summarise_mechanism(figures)
    kept = (f' ({len(recorded)} of them from {args.figures})'
            if recorded else '')
    print(f'\n{len(runs)} checkpoints of {args.results}{kept}, each on its '
          'own unlabeled images (labels known, never trained on), '
          f'{time.perf_counter() - start:.0f} s; mean +- std over seeds\n')
    print(mechanism.format_mechanism(rows))
    # The goal compares fused and decoder labels per class.
    by_group = {(r['arm'], r['denominator']): r for r in rows}
    for cls in mechanism.summarise_per_class(per_class, classes):
        by_group[(cls['arm'], cls['denominator'])]['per_class'] = {
            k: v for k, v in cls.items()
            if k not in ('arm', 'denominator', 'seeds')}
        print('\n' + mechanism.format_per_class(cls))
    _load_json(args.json, rows)


def bench_per_class(args):
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS

    from mmseg_pseudoseg.benchmarks import per_class
    if not osp.isfile(args.results):
        sys.exit(f'{args.results}: no such results file; run '
                 '`tools/benchmark.py curve` first (it writes one)')
    with open(args.results) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    runs = [
        r for r in runs
        if (not args.fractions or r['denominator'] in args.fractions) and (
            args.seeds is None or r['seed'] in args.seeds)
    ]
    if not runs:
        sys.exit(f'{args.results}: no run matches --fractions '
                 f'{args.fractions} --seeds {args.seeds}')
    # Several lines per key when a run was redone: the last one counts.
    runs = list({r['key']: r for r in runs}.values())
    _refuse_missing_checkpoints(runs, args.results)
    init_default_scope('mmseg')
    MMLogger.get_current_instance().setLevel('WARNING')
    # One config and val loader per (config, overrides, data root).
    built, confusions, classes = {}, {}, None
    start = time.perf_counter()
    for run in runs:
        setting = (run['config'], json.dumps(run.get('cfg_options')),
                   run['data_root'])
        if setting not in built:
            cfg = Config.fromfile(run['config'])
            if run.get('cfg_options'):
                cfg.merge_from_dict(run['cfg_options'])
            set_data_root(cfg._cfg_dict, run['data_root'])
            cfg.val_dataloader.num_workers = 0
            cfg.val_dataloader.persistent_workers = False
            built[setting] = cfg, Runner.build_dataloader(cfg.val_dataloader)
        cfg, loader = built[setting]
        names = loader.dataset.metainfo['classes']
        if classes is not None and tuple(names) != tuple(classes):
            sys.exit(f'{args.results}: runs on different class sets '
                     f'({classes} and {names}, {run["config"]})')
        classes = names
        model = MODELS.build(cfg.model)
        load_checkpoint(
            model, run['checkpoint'], map_location='cpu', logger='silent')
        confusions[run['key']] = per_class.val_confusion(
            model, loader, len(classes)).numpy()
    groups = per_class.summarise_per_class(runs, confusions)
    gap = max(g['miou_gap'] for g in groups)
    print(f'{len(runs)} checkpoints of {args.results} scored on the '
          f'validation set ({time.perf_counter() - start:.0f} s); mIoU '
          f'recomputed from the confusion matrices vs the mIoU each run '
          f'logged: largest difference {gap:.3f} points\n')
    print(per_class.format_per_class(groups, classes))
    _load_json(args.json, groups)


def step_methods(args) -> list:
    """``--methods``; by default the toy UniMatch and FixMatch configs,
    which go with the toy models only (none, said so, where
    ``--pseudoseg-config`` names another model)."""
    if args.methods is not None:
        return args.methods
    if args.pseudoseg_config:
        print('\nOther methods left out (--pseudoseg-config given): pass '
              '--methods NAME=CONFIG ... to time them at this load.')
        return []
    return TOY_METHODS


def bench_step(args):
    from mmseg_pseudoseg.benchmarks.step import bench_step as run
    from mmseg_pseudoseg.benchmarks.step import format_step
    init_default_scope('mmseg')
    ps = Config.fromfile(args.pseudoseg_config or TOY['pseudoseg']).model
    sup = Config.fromfile(args.supervised_config or TOY['supervised']).model
    result = run(ps.to_dict(), sup.to_dict(), args.batch, args.crop,
                 args.iters, args.warmup)
    print(format_step(result))
    methods = step_methods(args)
    if methods:
        from mmseg_pseudoseg.benchmarks.step import (bench_methods,
                                                     format_methods)
        cfgs = {}
        for item in methods:
            name, sep, path = item.partition('=')
            if not sep or not osp.isfile(path):
                raise SystemExit(f'--methods {item!r}: expected NAME=CONFIG '
                                 'with an existing config file')
            cfgs[name] = Config.fromfile(path).model.to_dict()
        result['methods'] = bench_methods(cfgs, args.batch, args.crop,
                                          args.iters, args.warmup)
        print('\nOther methods, each against its own segmentor trained '
              'supervised on the same labeled batch ('
              + ', '.join(methods) + '):\n')
        print(format_methods(result['methods']))
    _load_json(args.json, result)


def bench_data(args):
    from mmseg_pseudoseg.benchmarks.data import bench_data as run
    from mmseg_pseudoseg.benchmarks.data import format_data
    init_default_scope('mmseg')
    cfg = Config.fromfile(args.config)
    ds = cfg.train_dataloader.dataset
    result = run(ds.labeled.to_dict(), ds.unlabeled.to_dict(), args.images,
                 args.items)
    print(f'{args.config}: {args.items} items per pipeline, one process '
          f'(= one data-loader worker), {torch.get_num_threads()} torch '
          'threads\n')
    print(format_data(result, cfg.train_dataloader.batch_size))
    _load_json(args.json, result)


def bench_fake_data(args):
    from mmseg_pseudoseg.benchmarks.fake_data import write_fake_layout
    init_default_scope('mmseg')
    for path in args.config:
        start = time.perf_counter()
        counts = write_fake_layout(
            Config.fromfile(path), tuple(args.size), args.workers)
        print(f'{path}: wrote {counts} in '
              f'{time.perf_counter() - start:.1f} s', flush=True)


def bench_train(args):
    from mmseg_pseudoseg.benchmarks import train as train_lib
    results = []
    names = [osp.splitext(osp.basename(p))[0] for p in args.config]
    if len(set(names)) < len(names):  # e.g. supervised/ and pseudoseg/
        names = [
            f'{osp.basename(osp.dirname(osp.abspath(p)))}_{n}'
            for p, n in zip(args.config, names)
        ]
    for path, name in zip(args.config, names):
        if len(args.config) == 1:
            cfg = Config.fromfile(path)
            if args.cfg_options:
                cfg.merge_from_dict(args.cfg_options)
            work_dir = osp.join(args.work_dir, args.name or name)
            result = train_lib.bench_train(cfg, args.iters, args.warmup,
                                           work_dir)
        else:  # one process per config: nothing of one run's memory stays
            with tempfile.TemporaryDirectory() as tmp:
                out = osp.join(tmp, 'result.json')
                cmd = [
                    sys.executable,
                    osp.abspath(__file__), 'train', '--config', path,
                    '--iters',
                    str(args.iters), '--warmup',
                    str(args.warmup), '--work-dir', args.work_dir,
                    '--json', out, '--no-summary', '--name', name
                ]
                if args.cfg_options:
                    cmd += ['--cfg-options'] + [
                        f'{k}={v}' for k, v in args.cfg_options.items()
                    ]
                subprocess.run(cmd, check=True)
                with open(out) as f:
                    result = json.load(f)[0]
        result['config'] = path
        results.append(result)
    if not args.no_summary:
        print()
        for result in results:
            print(
                train_lib.format_train(
                    result, result['config'],
                    results[0] if len(results) > 1 else None))
    _load_json(args.json, results)


def _train_and_eval(config, data_root, seed, iters):
    cfg = Config.fromfile(config)
    set_data_root(cfg._cfg_dict, data_root)
    cfg.work_dir = tempfile.mkdtemp(prefix='pseudoseg_bench_')
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    if iters:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        cfg.param_scheduler[0].end = iters
        cfg.default_hooks.checkpoint.interval = iters
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub.get_scalar('val/mIoU').current()


def bench_miou(args):
    if not osp.isfile(osp.join(args.data_root, 'splits/1-8/labeled.txt')):
        raise FileNotFoundError(
            f'{args.data_root}/splits/1-8/labeled.txt does not exist; run '
            f'python tools/make_toy_dataset.py {args.data_root}')
    MMLogger.get_current_instance().setLevel('WARNING')
    configs = dict(
        supervised=args.supervised_config or TOY['supervised'],
        pseudoseg=args.pseudoseg_config or TOY['pseudoseg'])
    results = {'supervised': [], 'pseudoseg': []}
    for seed in args.seeds:
        for name in ('supervised', 'pseudoseg'):
            miou = _train_and_eval(configs[name], args.data_root, seed,
                                   args.iters)
            results[name].append(miou)
            print(f'seed {seed} {name:>10} 1/8: mIoU {miou:.2f}', flush=True)
    sup, ps = results['supervised'], results['pseudoseg']

    def fmt(values):
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return f'{statistics.mean(values):.2f} +- {std:.2f}'

    diffs = [p - s for p, s in zip(ps, sup)]
    print('paired differences (PseudoSeg - supervised, same seed): ' +
          ', '.join(f'{d:+.2f}' for d in diffs))
    print(f'toy mIoU 1/8, {len(args.seeds)} seeds: supervised {fmt(sup)}, '
          f'PseudoSeg {fmt(ps)}, paired difference {fmt(diffs)}')
    print('toy mIoU ratio PseudoSeg / supervised: '
          f'{statistics.mean(ps) / statistics.mean(sup):.3f}')
    from mmseg_pseudoseg.evaluation import mean_std, paired_interval
    _load_json(
        args.json,
        dict(seeds=list(args.seeds),
             configs=configs,
             supervised=sup,
             pseudoseg=ps,
             summary=dict(supervised=mean_std(sup),
                          pseudoseg=mean_std(ps),
                          diff=paired_interval(ps, sup)
                          if len(diffs) > 1 else None)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest='what', required=True)
    for name in ('calibration', 'curve', 'step', 'data', 'miou',
                 'fake-data', 'train', 'per-class', 'pretrain'):
        p = sub.add_parser(name)
        p.add_argument('--json', help='also write the numbers to this file')
        if name in ('curve', 'step', 'miou'):
            p.add_argument('--pseudoseg-config')
            p.add_argument('--supervised-config')
    p = sub.choices['curve']
    p.add_argument('--data-root', default='data/toy_scenes',
                   help='written there if missing')
    p.add_argument('--seeds', type=int, nargs='+',
                   help='default 0 1 2 3 4 (--quick: 0 1)')
    p.add_argument('--fractions', type=int, nargs='+', metavar='N',
                   help='denominators; default 16 8 4 2 (--quick: 16 4)')
    p.add_argument('--iters', type=int,
                   help='per run; default 2000 (--quick: 400)')
    p.add_argument('--jobs', type=int, default=os.cpu_count() or 1,
                   help='runs at a time, one thread each')
    p.add_argument('--quick', action='store_true')
    p.add_argument(
        '--pseudoseg-options',
        nargs='+',
        action=DictAction,
        help='override the PseudoSeg config (key=value), e.g. '
        'model.pseudo_src=decoder; with --results pointing at a copy of an '
        'earlier run, only the PseudoSeg runs are retrained')
    p.add_argument(
        '--supervised-options',
        nargs='+',
        action=DictAction,
        help='override the supervised config (key=value), e.g. a control '
        'with more augmentation')
    p.add_argument('--work-dir', default='work_dirs/benchmark_curve')
    p.add_argument('--results', help='JSON lines of finished runs (resumed)')
    p.add_argument('--out', help='folder for the plots (default: the work '
                   'dir; docs/benchmarks only when asked)')
    p = sub.choices['calibration']
    p.add_argument('--config', default=SCENES['pseudoseg'])
    p.add_argument('--checkpoint', required=True, nargs='+',
                   help='one or more (e.g. a run\'s checkpoints over '
                   'training); the detailed tables are the last one\'s')
    p.add_argument('--data-root', help='default: the config\'s')
    p.add_argument('--split-dir', help='e.g. splits/seed0/1-8 (the split '
                   'the checkpoint was trained on); default: the config\'s')
    p.add_argument('--temperatures', type=float, nargs='+',
                   default=[0.3, 0.5, 0.7, 1.0])
    p.add_argument('--bins', type=int, default=15)
    p.add_argument('--batch', type=int, help='default: the config\'s')
    p.add_argument('--max-images', type=int)
    p.add_argument('--eval-mode', action='store_true',
                   help='decoder pass in inference mode (default: train '
                   'mode, as training makes pseudo labels)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='work_dirs/benchmark_calibration',
                   help='folder for the plots (docs/benchmarks only when '
                   'asked)')
    p.add_argument('--tag', default='calibration', help='PNG name prefix')
    p = sub.choices['step']
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--crop', type=int, default=64)
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument(
        '--methods', nargs='*', metavar='NAME=CONFIG',
        default=None,
        help='other semi-supervised configs whose whole step is timed '
        'against their own segmentor (default: the toy UniMatch and '
        'FixMatch configs, where --pseudoseg-config is not given; an '
        'empty list: none)')
    p = sub.choices['data']
    p.add_argument('--config', default=VOC,
                   help='a PseudoSeg config (its labeled and unlabeled '
                   'pipelines)')
    p.add_argument('--images', type=int, default=16)
    p.add_argument('--items', type=int, default=40)
    p = sub.choices['miou']
    p.add_argument('--data-root', default='data/toy_shapes')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--iters', type=int, default=0,
                   help='0: the configs\' schedule')
    p = sub.choices['fake-data']
    p.add_argument('--config', nargs='+', default=[VOC])
    p.add_argument('--size', type=int, nargs=2, default=[500, 375],
                   metavar=('W', 'H'))
    p.add_argument('--workers', type=int, help='default: all cores')
    p = sub.choices['train']
    p.add_argument('--config', nargs='+', default=[VOC],
                   help='several: one process each, ratios to the first')
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--warmup', type=int, default=100,
                   help='iterations left out of the mean (a multiple of 10)')
    p.add_argument('--work-dir', default='work_dirs/benchmark_train')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    # A child of a several-config call: its parent prints the results.
    p.add_argument(
        '--no-summary', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--name', help=argparse.SUPPRESS)  # its work_dir's
    p = sub.choices['per-class']
    p.add_argument(
        '--results',
        default='work_dirs/benchmark_curve/curve.jsonl',
        help='JSON lines `curve` wrote (each run names its checkpoint)')
    p.add_argument('--fractions', type=int, nargs='+', metavar='N',
                   help='only these 1/N (default: all in the file)')
    p.add_argument('--seeds', type=int, nargs='+',
                   help='only these seeds (default: all in the file)')
    p = sub.add_parser('mechanism')
    p.add_argument('--results', required=True,
                   help='JSON lines `arms` or `curve` wrote (each run names '
                   'its checkpoint, config, data and split)')
    p.add_argument('--arms', nargs='+', default=['pseudoseg', 'decoder'],
                   help='kinds of run to score (PseudoSeg-family runs with '
                   'an SGC head; default: pseudoseg decoder)')
    p.add_argument('--fractions', type=int, nargs='+', metavar='N',
                   help='only these 1/N (default: all in the file)')
    p.add_argument('--seeds', type=int, nargs='+',
                   help='only these seeds (default: all in the file)')
    p.add_argument('--max-images', type=int,
                   help='first images of each unlabeled set only')
    p.add_argument('--figures',
                   help='JSON lines of each run\'s figures: those of the '
                   'same runs are taken from here instead of scoring their '
                   'checkpoints again, the others are added as scored')
    p.add_argument('--json', help='write the summary as JSON here')
    p = sub.choices['pretrain']
    p.add_argument('--config', default=PATTERNS['supervised'],
                   help='its model\'s backbone is trained')
    p.add_argument('--out',
                   default='work_dirs/benchmark_pretrain/'
                   'toy_patterns_backbone.pth',
                   help='the checkpoint (and its .sha256) to write; '
                   'the shipped one, which the toy-patterns configs '
                   'load, is replaced only when named here: '
                   'checkpoints/toy_patterns_backbone.pth')
    p.add_argument('--backbone-width', type=int, metavar='C',
                   help="the backbone's stem and first-stage channels "
                   "(default: the config's, 16); the width study's "
                   'checkpoints (arms --backbone-width)')
    p.add_argument('--iters', type=int, default=4000)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.1,
                   help='peak of the one-cycle schedule')
    p.add_argument('--num-train', type=int, default=40000)
    p.add_argument('--num-val', type=int, default=2000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', help='default: cuda if available, else cpu')
    p.add_argument('--workers', type=int, default=1,
                   help='processes drawing the set (same set for any)')
    p.add_argument('--resume', action='store_true',
                   help='go on from --snapshot if it is there (same bytes '
                   'as a run that never stopped, on the same machine and '
                   'thread count; a snapshot of other '
                   'settings is refused)')
    p.add_argument('--snapshot',
                   help='the resumable state, saved every '
                   '--snapshot-interval steps and removed at the end '
                   '(default: work_dirs/benchmark_pretrain/'
                   '<name of --out>.snapshot.pth)')
    p.add_argument('--snapshot-interval', type=int, default=100)
    for name in ('regime', 'arms'):  # the toy patterns benchmark's
        p = sub.add_parser(name)
        p.add_argument('--checkpoint',
                       default='checkpoints/toy_patterns_backbone.pth')
        p.add_argument('--data-root',
                       help='written there if missing (default: '
                       'data/toy_patterns, with --classes 16 '
                       'data/toy_patterns16)')
        p.add_argument('--classes', type=int, default=8, choices=(8, 16),
                       help='foreground classes of the set: the '
                       "benchmark's eight, or the variant with eight more "
                       "(every config's class count and dataset follow)")
        p.add_argument('--num-train', type=int, default=512,
                       help='size of the set when it is written')
        p.add_argument('--num-val', type=int, default=256)
        p.add_argument('--jobs', type=int, default=os.cpu_count() or 1,
                       help='runs at a time, one thread each')
        p.add_argument('--work-dir', default=f'work_dirs/benchmark_{name}')
        p.add_argument('--results',
                       help='JSON lines of finished runs (resumed)')
    p = sub.choices['regime']
    p.add_argument('--config', default=PATTERNS['supervised'])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--iters', type=int, default=4000)
    p.add_argument('--min-gain', type=float, default=10.0,
                   help='least mIoU gain from 1/16 to 1/2')
    p.add_argument('--backbone-width', type=int, metavar='C',
                   help='the backbone C channels wide at its stem and first '
                   "stage (default: the config's, 16), as arms "
                   '--backbone-width; --checkpoint must be of that width')
    p.add_argument('--no-train', action='store_true',
                   help='train nothing: summarise the runs --results holds '
                   '(also runs recorded on other machines, e.g. seeds run '
                   'on a GPU lease and the rest here; the summary names '
                   "each seed's machine)")
    p.add_argument('--out', help='write the summary as JSON here')
    p = sub.choices['arms']
    p.add_argument('--arms', nargs='+', default=list(DEFAULT_ARMS),
                   choices=list(ARMS),
                   help='default: every arm but imglabels (extra '
                   'annotation: the unlabeled images\' classes)')
    p.add_argument('--seeds', type=int, nargs='+', help='default: 0-4')
    p.add_argument('--fractions', type=int, nargs='+', metavar='N',
                   help='labeled fractions 1/N (default: 16 8 4 2)')
    p.add_argument('--iters', type=int,
                   help="default: the configs' schedule (4,000)")
    p.add_argument('--quick', action='store_true',
                   help='seeds 0 1, 1/16, 40 iterations: the harness runs')
    p.add_argument('--backbone-width', type=int, metavar='C',
                   help="every arm's backbone C channels wide at its stem "
                   "and first stage (default: the configs', 16), the heads' "
                   'inputs following; --checkpoint must be pre-trained at '
                   'that width (pretrain --backbone-width)')
    p.add_argument('--reuse-regime', metavar='JSONL',
                   help="the regime check's results: its pre-trained runs "
                   'that match a supervised run exactly (give --iters '
                   '4000, as the regime) are taken, not retrained')
    p.add_argument('--no-train', action='store_true',
                   help='train nothing: summarise the runs --results holds '
                   '(also a file written on another machine)')
    p.add_argument('--keep-rows', metavar='JSON',
                   help="an earlier arms summary (--json): its rows for "
                   'fractions other than --fractions join this summary, '
                   'its table, plot and goal, marked with their "source" '
                   '(runs recorded on another machine, or whose records '
                   'are gone)')
    p.add_argument('--out', help='folder for the plot (none: no plot)')
    p.add_argument('--json', help='write the summary as JSON here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    run = {
        'calibration': bench_calibration,
        'curve': bench_curve,
        'step': bench_step,
        'data': bench_data,
        'miou': bench_miou,
        'train': bench_train,
        'fake-data': bench_fake_data,
        'per-class': bench_per_class,
        'mechanism': bench_mechanism,
        'pretrain': bench_pretrain,
        'regime': bench_regime,
        'arms': bench_arms,
    }[args.what]
    run(args)


if __name__ == '__main__':
    main()
