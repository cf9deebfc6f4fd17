"""The label-limited benchmark's arms (``tools/benchmark.py arms``): the
jobs, the pairing of initial weights, the summary's arithmetic and the
goal, and the command line on recorded runs."""
import json
import os.path as osp

import numpy as np
import pytest

from mmseg_pseudoseg.benchmarks import arms
from mmseg_pseudoseg.benchmarks.curve import (run_key, train_one,
                                              tree_digest)
from mmseg_pseudoseg.datasets import check_toy_patterns, make_toy_patterns
from .conftest import REPO
from .test_benchmarks import _load_tool

CKPT = osp.join(REPO, 'checkpoints/toy_patterns_backbone.pth')


def test_arm_jobs_options_pairing_and_refusals(tmp_path):
    jobs = arms.make_arm_jobs(list(arms.DEFAULT_ARMS), '/data', [16, 8],
                              [0, 1], None, str(tmp_path), '/ck.pth',
                              'abcdef' * 8)
    assert len(jobs) == len(arms.DEFAULT_ARMS) * 2 * 2
    # The image-label arm uses extra annotation: asked for, never default.
    assert 'imglabels' in arms.ARMS and 'imglabels' not in arms.DEFAULT_ARMS
    # Seed by seed, fewest labels first.
    assert [(j['seed'], j['denominator']) for j in jobs[:7]] == (
        [(0, 16)] * 6 + [(0, 8)])
    by_key = {j['key']: j for j in jobs}
    sup = by_key['supervised/1-16/seed0']
    assert sup['cfg_options'] == {
        'model.backbone.init_cfg.checkpoint': '/ck.pth'}
    dec = by_key['decoder/1-16/seed0']
    assert dec['cfg_options'] == {
        'model.pseudo_src': 'decoder',
        'model.segmentor.backbone.init_cfg.checkpoint': '/ck.pth'}
    assert dec['config'] == by_key['pseudoseg/1-16/seed0']['config']
    # UniMatch's two arms start from the supervised arm's initial weights,
    # one file per seed, written by one stopped supervised runner each.
    uni = [j for j in jobs if j['kind'] in ('unimatch', 'fixmatch')]
    assert {j['init_from'] for j in uni if j['seed'] == 1} == {
        arms.initial_state_path(str(tmp_path), 1, 'abcdef' * 8)}
    assert not any('init_from' in j for j in jobs if j not in uni)
    firsts = arms.initial_state_jobs(jobs)
    assert [(j['seed'], j['kind'], j['save_init']['path']) for j in firsts
            ] == [(s, 'supervised', arms.initial_state_path(
                str(tmp_path), s, 'abcdef' * 8)) for s in (0, 1)]
    with pytest.raises(KeyError, match='unknown arms'):
        arms.make_arm_jobs(['supervised', 'mean-teacher'], '/d', [16], [0],
                           None, '/w')
    with pytest.raises(ValueError, match='must include the supervised'):
        arms.make_arm_jobs(['pseudoseg'], '/d', [16], [0], None, '/w')
    with pytest.raises(ValueError, match='supervised arm'):
        arms.initial_state_jobs([j for j in jobs if j in uni])


def test_unimatch_arm_starts_from_the_supervised_arms_weights(tmp_path):
    # UniMatch's runner draws other random numbers before its decode head
    # is initialised (no auxiliary head): alone it starts elsewhere; from
    # the saved initial weights it starts where the supervised arm does.
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, ))
    jobs = {
        j['kind']: j
        for j in arms.make_arm_jobs(['supervised', 'unimatch'], root, [16],
                                    [0], 1, str(tmp_path / 'work'), CKPT,
                                    'sha')
    }
    alone = train_one(dict(jobs['unimatch'], init_from=None))
    first, = arms.initial_state_jobs(list(jobs.values()))
    saved = train_one(first)
    assert osp.isfile(jobs['unimatch']['init_from'])
    assert 'miou' not in saved  # stopped before its first step
    sup = train_one(jobs['supervised'])
    uni = train_one(jobs['unimatch'])
    for module in arms.PAIRED_MODULES:
        assert uni['init_fingerprints'][module] == (
            sup['init_fingerprints'][module]) == (
                saved['init_fingerprints'][module])
    assert alone['init_fingerprints']['backbone'] == (
        sup['init_fingerprints']['backbone'])  # the pre-trained one
    assert alone['init_fingerprints']['decode_head'] != (
        sup['init_fingerprints']['decode_head'])
    assert arms._same_init(sup, uni) and not arms._same_init(sup, alone)
    # Each record names the machine and the exact data it ran on.
    import torch
    assert sup['machine']['cpu_capability'] == (
        torch.backends.cpu.get_cpu_capability())
    assert sup['machine']['torch'] == torch.__version__
    assert sup['data_digest'] == uni['data_digest'] == tree_digest(root)


def test_tree_digest_sees_every_byte_and_name(tmp_path):
    (tmp_path / 'a').mkdir()
    (tmp_path / 'a' / 'x.jpg').write_bytes(b'\x00\x01')
    (tmp_path / 'b.txt').write_text('1\n')
    first = tree_digest(str(tmp_path))
    assert tree_digest(str(tmp_path)) == first
    (tmp_path / 'a' / 'x.jpg').write_bytes(b'\x00\x02')
    second = tree_digest(str(tmp_path))
    assert second != first
    (tmp_path / 'a' / 'x.jpg').rename(tmp_path / 'a' / 'y.jpg')
    assert tree_digest(str(tmp_path)) not in (first, second)


def test_imglabels_arm_trains_on_the_crops_classes_from_paired_weights(
        tmp_path):
    # PseudoSeg with image-level labels: each unlabeled crop carries the
    # classes left in it, the classifier trains on those, and the run
    # starts from the supervised arm's weights like the other PseudoSeg
    # arms.
    import numpy as np
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, ))
    cfg = Config.fromfile(arms.arm_config('imglabels'))
    assert cfg.model.cls_on_unlabeled is True
    init_default_scope('mmseg')
    unlabeled = cfg.train_dataloader.dataset.unlabeled
    unlabeled.data_root = root
    dataset = DATASETS.build(unlabeled)
    num_classes = cfg.toy_num_classes
    found = 0
    for i in range(4):
        weak = dataset[i]['data_samples']['weak']
        seg = weak.gt_sem_seg.data.numpy()
        present = [c for c in range(1, num_classes) if (seg == c).any()]
        given = np.flatnonzero(weak.gt_image_labels.numpy()) + 1
        # Classes under the strong view's CutOut are left out, so the
        # labels are those of the crop outside it: a subset here.
        assert set(given.tolist()) <= set(present)
        assert weak.gt_image_labels.numpy().shape == (num_classes - 1, )
        found += len(given)
    assert found  # not all empty
    jobs = {
        j['kind']: j
        for j in arms.make_arm_jobs(['supervised', 'imglabels'], root, [16],
                                    [0], 1, str(tmp_path / 'work'), CKPT,
                                    'sha')
    }
    sup = train_one(jobs['supervised'])
    img = train_one(jobs['imglabels'])
    assert arms._same_init(sup, img) and 'miou' in img


def _run(kind, n, seed, miou, same=True, history=None):
    fp = {m: f'{m}{seed}' for m in arms.PAIRED_MODULES}
    if not same:
        fp['decode_head'] = 'other'
    return dict(key=run_key(kind, n, seed), kind=kind, seed=seed,
                denominator=n, miou=miou, init_fingerprints=fp,
                history=history or {})


def test_same_init_of_a_run_without_module_fingerprints_via_its_twin():
    # The supervised run predates per-module fingerprints; the PseudoSeg
    # run of the same seed has its whole-segmentor fingerprint and the
    # per-module ones, so UniMatch (per-module only) pairs through it.
    sup = dict(_run('supervised', 16, 0, 30), init_fingerprint='whole0')
    del sup['init_fingerprints']
    ps = dict(_run('pseudoseg', 16, 0, 31), init_fingerprint='whole0')
    uni = dict(_run('unimatch', 16, 0, 32), init_fingerprint='uni0')
    other = dict(_run('unimatch', 16, 1, 32, same=False),
                 init_fingerprint='uni1')
    sup1 = dict(_run('supervised', 16, 1, 30), init_fingerprint='whole1')
    del sup1['init_fingerprints']  # no twin recorded: cannot be verified
    uni1 = dict(_run('unimatch', 16, 1, 32), init_fingerprint='uni1')
    results = {r['key']: r for r in (sup, ps, uni, sup1, uni1)}
    assert not arms._same_init(sup, uni)  # on its own: unverifiable
    filled = arms._fill_module_fingerprints(results)
    assert arms._same_init(filled[sup['key']], uni)
    assert not arms._same_init(filled[sup['key']], other)
    assert 'init_fingerprints' not in filled[sup1['key']]
    assert 'init_fingerprints' not in results[sup['key']]  # not mutated
    row, = arms.summarise_arms(results, ['supervised', 'unimatch'], [16],
                               [0, 1])
    assert row['vs_supervised']['unimatch']['same_init'] == 1
    # A summary of the supervised and UniMatch arms alone (the twin is
    # another arm's run, recorded beside them) still finds it.
    alone = {k: r for k, r in results.items() if r is not ps}
    row, = arms.summarise_arms(alone, ['supervised', 'unimatch'], [16],
                               [0, 1])
    assert row['vs_supervised']['unimatch']['same_init'] == 0
    row, = arms.summarise_arms(alone, ['supervised', 'unimatch'], [16],
                               [0, 1], donors=results.values())
    assert row['vs_supervised']['unimatch']['same_init'] == 1


def _history(fused, decoder):
    return dict(pl_miou_pseudo=[0.1] * 9 + [fused],
                pl_miou_decoder=[0.1] * 9 + [decoder])


def test_arms_summary_pairs_by_seed_and_checks_the_goal():
    results = {}
    sup = {16: [30, 32, 34], 8: [40, 41, 45]}
    ps = {16: [36, 37, 38], 8: [44, 45, 48]}
    for n in (16, 8):
        for s in range(3):
            for r in (_run('supervised', n, s, sup[n][s]),
                      _run('pseudoseg', n, s, ps[n][s],
                           history=_history(0.6, 0.5)),
                      _run('unimatch', n, s, sup[n][s] + 1, same=s != 2)):
                results[r['key']] = r
    del results[run_key('unimatch', 8, 1)]
    rows = arms.summarise_arms(results, ['supervised', 'pseudoseg',
                                         'unimatch'], [16, 8], [0, 1, 2])
    r16, r8 = rows
    assert r16['arms']['supervised']['mean'] == pytest.approx(32)
    d = r16['vs_supervised']['pseudoseg']
    # 6, 5, 4: mean 5, sd 1, t(0.975, 2) = 4.303 -> half width 2.484.
    assert d['diffs'] == [6, 5, 4] and d['mean'] == pytest.approx(5)
    assert d['half_width'] == pytest.approx(4.3027 / 3**0.5, abs=1e-3)
    assert d['same_init'] == 3
    # UniMatch at 1/8: seed 1 missing, paired over seeds 0 and 2 only;
    # seed 2 started elsewhere and is counted so.
    u8 = r8['vs_supervised']['unimatch']
    assert u8['seeds'] == [0, 2] and u8['same_init'] == 1
    assert r8['arms']['unimatch']['n'] == 2
    g = arms.goal(rows)
    # 1/8: 4, 4, 3 -> +3.67 [+2.23, +5.10]: met; fused 0.6 >= decoder 0.5.
    assert g['met'], g
    table = arms.format_arms(rows, 512)
    assert '| 1/16 (32) |' in table and '+5.00 [+2.52, +7.48] (3/3)' in table
    # Each part of the goal can fail on its own.
    worse = dict(results)
    for s, v in enumerate([42, 41, 46]):
        worse[run_key('pseudoseg', 8, s)] = dict(
            results[run_key('pseudoseg', 8, s)], miou=v)
    g = arms.goal(arms.summarise_arms(worse, ['supervised', 'pseudoseg'],
                                      [16, 8], [0, 1, 2]))
    failed = [k for k, ok in g['checks'].items() if not ok]
    assert failed == ['1/8: pseudoseg - supervised >= 3',
                      '1/8: 95% interval above 0']
    for key in [k for k in results if k.startswith('pseudoseg/1-16')]:
        results[key] = dict(results[key], history=_history(0.4, 0.5))
    g = arms.goal(arms.summarise_arms(results, ['supervised', 'pseudoseg'],
                                      [16, 8], [0, 1, 2]))
    assert [k for k, ok in g['checks'].items() if not ok] == [
        "fused pseudo labels >= decoder's (pseudo-label mIoU, every "
        'fraction, last tenth)']


def test_arms_cli_summarises_recorded_runs_and_refuses_an_old_set(
        tmp_path, capsys):
    # The runs are recorded as the command would record them (same jobs),
    # so the call trains nothing; train_one itself is tested above.
    tool = _load_tool()
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, 1))
    assert check_toy_patterns(root)['version'] == 2
    work, results = tmp_path / 'work', tmp_path / 'runs.jsonl'
    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    sha = file_sha256(CKPT)
    jobs = arms.make_arm_jobs(['supervised', 'pseudoseg'], root, [16],
                              [0, 1], 2, str(work), CKPT, sha)
    # The supervised runs come from the regime check's results (the same
    # runs under the regime's names), PseudoSeg's from the arms' own.
    from mmseg_pseudoseg.benchmarks.regime import make_regime_jobs
    regime_jobs = make_regime_jobs(arms.arm_config('supervised'), CKPT, sha,
                                   root, [0, 1], 2, str(tmp_path / 'rw'))
    fingerprints = {
        s: {m: f'{m}{s}' for m in arms.PAIRED_MODULES} for s in (0, 1)}
    from mmseg_pseudoseg.benchmarks.curve import machine_info
    here = machine_info()
    regime_runs = {job['key']: dict(
        job, miou=30 + job['seed'] + (job['denominator'] != 16),
        init_fingerprints=fingerprints[job['seed']], machine=here)
        for job in regime_jobs}
    with open(tmp_path / 'regime.jsonl', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in regime_runs.values())
    # Only runs made on the machine the other arms train on are taken (a
    # pair by seed stays on one machine); a record from before records
    # named the GPU is a CPU run's.
    assert len(arms.supervised_from_regime(jobs, regime_runs, here)) == 2
    other = dict(here, cpu_capability='elsewhere')
    assert arms.supervised_from_regime(jobs, regime_runs, other) == []
    if not here['gpu']:
        old = {k: dict(r, machine={m: v for m, v in here.items()
                                   if m != 'gpu'})
               for k, r in regime_runs.items()}
        assert len(arms.supervised_from_regime(jobs, old, here)) == 2
    with open(results, 'w') as f:
        for job in jobs:
            if job['kind'] == 'pseudoseg':
                f.write(json.dumps(dict(
                    job, miou=35 + 2 * job['seed'],
                    init_fingerprints=fingerprints[job['seed']],
                    history=_history(0.5, 0.4))) + '\n')
    argv = ['arms', '--arms', 'supervised', 'pseudoseg', '--checkpoint',
            CKPT, '--data-root',
            root, '--seeds', '0', '1', '--fractions', '16', '--iters', '2',
            '--work-dir', str(work), '--results', str(results), '--out',
            str(tmp_path / 'out'), '--json', str(tmp_path / 'arms.json'),
            '--reuse-regime', str(tmp_path / 'regime.jsonl')]
    tool.main(argv)
    log = capsys.readouterr().out
    assert '2 supervised runs taken from' in log
    assert '4 of 4 runs already in' in log
    assert '+5.50' in log and 'goal (PseudoSeg): NOT MET' in log
    summary = json.load(open(tmp_path / 'arms.json'))
    row, = summary['rows']
    assert row['arms']['pseudoseg']['miou'] == [35, 37]
    assert row['vs_supervised']['pseudoseg']['same_init'] == 2
    # 1/8 was not run: that half of the goal is not met.
    assert not summary['goal']['checks']['1/8: 95% interval above 0']
    assert osp.isfile(tmp_path / 'out' / 'arms.png')
    # A set written by the earlier version (no stamp) is refused, named.
    old = tmp_path / 'old'
    (old / 'ImageSets/Segmentation').mkdir(parents=True)
    (old / 'ImageSets/Segmentation/train.txt').write_text('a\n')
    argv[argv.index('--data-root') + 1] = str(old)
    with pytest.raises(SystemExit, match=f'{old}: toy patterns set of '
                       'version 1'):
        tool.main(argv)


def test_arms_no_train_summarises_runs_written_elsewhere(tmp_path, capsys):
    # Runs recorded on another machine (e.g. a GPU lease) name its paths;
    # --no-train takes them by key, config name, iterations and options,
    # trains nothing (train_one would fail on a 2-image set with 0
    # iterations), and leaves out a run recorded with other options.
    tool = _load_tool()
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, 1, 2))
    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    jobs = arms.make_arm_jobs(['supervised', 'decoder'], root, [16],
                              [0, 1, 2], 2, str(tmp_path / 'w'), CKPT,
                              file_sha256(CKPT))

    def elsewhere(path):
        return '/elsewhere/' + osp.basename(path)

    results = tmp_path / 'gpu.jsonl'
    with open(results, 'w') as f:
        for job in jobs:
            run = dict(job, miou=30.0 + job['seed'], data_root='/elsewhere',
                       config='/elsewhere/configs/' +
                       osp.basename(job['config']),
                       init_fingerprints={'backbone': 'b', 'decode_head': 'd',
                                          'auxiliary_head': 'a'})
            run['cfg_options'] = {
                k: elsewhere(v) if k.endswith('.checkpoint') else v
                for k, v in job['cfg_options'].items()}
            if job['kind'] == 'decoder':
                run['miou'] += 4
                if job['seed'] == 1:  # another arm's options: not this run
                    run['cfg_options']['model.pseudo_src'] = 'pseudo'
            f.write(json.dumps(run) + '\n')
    argv = ['arms', '--arms', 'supervised', 'decoder', '--checkpoint', CKPT,
            '--data-root', root, '--seeds', '0', '1', '2', '--fractions', '16',
            '--iters', '2', '--work-dir', str(tmp_path / 'w'),
            '--results', str(results), '--no-train',
            '--json', str(tmp_path / 'arms.json')]
    tool.main(argv)
    assert '--no-train: 5 of 6 runs recorded' in capsys.readouterr().out
    row, = json.load(open(tmp_path / 'arms.json'))['rows']
    assert row['arms']['supervised']['miou'] == [30.0, 31.0, 32.0]
    assert row['arms']['decoder']['miou'] == [34.0, 36.0]
    assert row['vs_supervised']['decoder']['diffs'] == [4.0, 4.0]
    assert not osp.exists(tmp_path / 'w')  # nothing trained


def test_arms_keep_rows_joins_an_earlier_summary(tmp_path, capsys):
    # Fractions whose runs were recorded elsewhere (or whose records are
    # gone) join from an earlier --json: in the table, the JSON and the
    # goal, marked with their source; the fractions summarised here
    # replace theirs; a file that is not a summary stops the call first.
    tool = _load_tool()
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, 1))
    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    work, results = tmp_path / 'w', tmp_path / 'runs.jsonl'
    jobs = arms.make_arm_jobs(['supervised', 'pseudoseg'], root, [8], [0, 1],
                              2, str(work), CKPT, file_sha256(CKPT))
    with open(results, 'w') as f:
        for job in jobs:
            gain = 5 * (job['kind'] != 'supervised')
            f.write(json.dumps(dict(job, miou=40.0 + job['seed'] + gain,
                                    history=_history(0.5, 0.4))) + '\n')
    earlier = {16: ([30.0, 31.0], [34.0, 35.5]), 8: ([1.0, 2.0], [3.0, 4.0])}
    old_rows = []
    for n, (sup, ps) in earlier.items():
        row = arms.summarise_arms(
            {r['key']: r for s in (0, 1) for r in (
                _run('supervised', n, s, sup[s]),
                _run('pseudoseg', n, s, ps[s], history=_history(0.5, 0.4)))},
            ['supervised', 'pseudoseg'], [n], [0, 1])
        old_rows += row
    old_rows[0]['source'] = 'the 2026-11-26 runs'
    old = tmp_path / 'old.json'
    old.write_text(json.dumps(dict(rows=old_rows)))
    argv = ['arms', '--arms', 'supervised', 'pseudoseg', '--checkpoint', CKPT,
            '--data-root', root, '--seeds', '0', '1', '--fractions', '8',
            '--iters', '2', '--work-dir', str(work), '--results',
            str(results), '--no-train', '--keep-rows', str(old),
            '--json', str(tmp_path / 'arms.json')]
    tool.main(argv)
    assert '1/16: kept from the 2026-11-26 runs' in capsys.readouterr().out
    summary = json.load(open(tmp_path / 'arms.json'))
    sixteen, eight = summary['rows']
    assert sixteen['denominator'] == 16
    assert sixteen['source'] == 'the 2026-11-26 runs'
    assert sixteen['arms']['pseudoseg']['miou'] == [34.0, 35.5]
    assert eight['arms']['pseudoseg']['miou'] == [45.0, 46.0]  # not 3, 4
    assert 'source' not in eight
    checks = summary['goal']['checks']
    assert checks['1/16: pseudoseg - supervised >= 3']  # +4.25, kept row
    assert checks['1/8: pseudoseg - supervised >= 3']  # +5, this call's
    for bad, match in ((tmp_path / 'none.json', 'No such file'),
                       (results, 'not an arms summary')):
        argv[argv.index('--keep-rows') + 1] = str(bad)
        with pytest.raises(SystemExit, match=f'--keep-rows {bad}: .*{match}'):
            tool.main(argv)


def test_mechanism_summary_over_seeds_by_hand():
    from mmseg_pseudoseg.benchmarks import mechanism

    def result(fused_bg, recall):
        variant = dict(miou=0.3, fg_to_bg=0.5)
        variants = {key: variant for _, key in mechanism.SOURCES
                    if key[2] != 'T'}
        variants[('fused', True, 0.5)] = dict(miou=0.25, fg_to_bg=fused_bg)
        variants[('fused, given image labels', True, 0.5)] = dict(
            miou=0.35, fg_to_bg=0.2)
        return dict(
            variants=variants,
            image_labels=dict(precision=[1.0, 0.5], recall=recall,
                              exact=0.1),
            cam_coverage={'CAM, given image labels': {
                '>0': dict(all=0.8), '>0.5': dict(all=0.4)}})

    figures = {
        ('pseudoseg', 16, 0): mechanism.run_figures(result(0.6, [0.2, 0.4]),
                                                    0.5),
        ('pseudoseg', 16, 1): mechanism.run_figures(result(0.4, [0.4, 0.6]),
                                                    0.5),
        ('decoder', 8, 0): mechanism.run_figures(result(0.3, [1, 1]), 0.5),
    }
    rows = mechanism.summarise_mechanism(figures)
    # Fewest labels first.
    assert [(r['arm'], r['denominator'], r['seeds']) for r in rows] == [
        ('pseudoseg', 16, [0, 1]), ('decoder', 8, [0])]
    ps = rows[0]['figures']
    bg = ps['fused (the targets): foreground called background']
    assert bg['values'] == [0.6, 0.4] and bg['mean'] == pytest.approx(0.5)
    assert bg['std'] == pytest.approx(0.1414, abs=1e-4)
    assert ps['classifier: recall (mean over classes)']['values'] == \
        pytest.approx([0.3, 0.5])
    # Coverage from the predicted labels was not measured: no such line.
    assert not any('predicted labels' in k for k in ps)
    # The targets from the true image labels, at the model's T and scale.
    assert ps['fused, true image labels: mIoU']['mean'] == \
        pytest.approx(0.35)
    table = mechanism.format_mechanism(rows)
    assert '| fused (the targets): foreground called background | ' \
        '50.0 +- 14.1 | 30.0 +- 0.0 |' in table


def test_width_study_arms_train_at_the_checkpoints_width(tmp_path):
    # `arms --backbone-width 8`: every arm's backbone half as wide, the
    # heads reading it follow, and the runs load a checkpoint pre-trained
    # at that width, paired as at the configs' width.
    import torch
    from mmseg_pseudoseg.benchmarks.pretrain import pretrain
    from mmseg_pseudoseg.engine.hooks import check_pretrained
    opts = arms.width_options('pseudoseg', 8)
    assert opts == {
        'model.segmentor.backbone.base_channels': 8,
        'model.segmentor.backbone.stem_channels': 8,
        'model.segmentor.decode_head.in_channels': 64,
        'model.segmentor.decode_head.c1_in_channels': 8,
        'model.segmentor.auxiliary_head.in_channels': 32,
        'model.sgc_head.in_channels': [32, 64]}
    # No SGC head in the FixMatch-style arm, no auxiliary head in UniMatch.
    assert 'model.sgc_head.in_channels' not in arms.width_options(
        'fixmatch-style', 8)
    assert arms.width_options('unimatch', 32) == {
        'model.segmentor.backbone.base_channels': 32,
        'model.segmentor.backbone.stem_channels': 32,
        'model.segmentor.decode_head.in_channels': 256,
        'model.segmentor.decode_head.c1_in_channels': 32}
    assert arms.width_options('supervised', 16) == {}
    assert arms.width_options('supervised', None) == {}
    with pytest.raises(ValueError, match='width must be >= 1'):
        arms.width_options('supervised', 0)
    ckpt = str(tmp_path / 'w8.pth')
    meta = pretrain(arms.arm_config('supervised'), ckpt, iters=2, batch=4,
                    num_train=8, num_val=4, width=8, log=lambda m: None)
    assert meta['width'] == 8
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    assert state['layer4.0.conv1.weight'].shape[0] == 64  # 8 x 2^3
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, ))
    jobs = {
        j['kind']: j
        for j in arms.make_arm_jobs(
            ['supervised', 'pseudoseg', 'fixmatch-style'], root, [16], [0],
            1, str(tmp_path / 'work'), ckpt, 'sha', width=8)
    }
    assert jobs['supervised']['cfg_options'][
        'model.auxiliary_head.in_channels'] == 32
    runs = {k: train_one(j) for k, j in jobs.items()}
    assert all('miou' in r for r in runs.values())
    assert arms._same_init(runs['supervised'], runs['pseudoseg'])
    assert arms._same_init(runs['supervised'], runs['fixmatch-style'])
    # The configs' width with this checkpoint: refused before any step
    # (mmengine would skip every tensor of another shape and train from
    # random weights), naming the file.
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(arms.arm_config('supervised'))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    with pytest.raises(ValueError, match='w8.pth.*another shape'):
        check_pretrained(MODELS.build(cfg.model))
    # The regime check at that width: both its arms are that wide.
    from mmseg_pseudoseg.benchmarks.regime import make_regime_jobs
    regime_jobs = make_regime_jobs(arms.arm_config('supervised'), ckpt,
                                   'sha', root, [0], 1, str(tmp_path / 'r'),
                                   width=8)
    assert {j['kind'] for j in regime_jobs} == {'pretrained', 'random'}
    for job in regime_jobs:
        assert job['cfg_options']['model.backbone.base_channels'] == 8
    # Its supervised runs are the arms' (--reuse-regime takes them).
    assert arms.supervised_from_regime(
        [jobs['supervised']],
        {j['key']: dict(j, miou=1.0) for j in regime_jobs})
    with pytest.raises(ValueError, match='supervised arm'):
        make_regime_jobs(arms.arm_config('pseudoseg'), ckpt, 'sha', root,
                         [0], 1, str(tmp_path / 'r'), width=8)
    # The tool refuses a checkpoint of another width before any run.
    tool = _load_tool()
    argv = ['arms', '--arms', 'supervised', '--checkpoint', CKPT,
            '--data-root', root, '--seeds', '0', '--fractions', '16',
            '--iters', '1', '--work-dir', str(tmp_path / 'w2'),
            '--backbone-width', '8']
    with pytest.raises(SystemExit, match='pre-trained at backbone width '
                       '16, but the arms train width 8'):
        tool.main(argv)
    argv[argv.index(CKPT)] = ckpt
    argv.remove('--backbone-width')
    argv.remove('8')
    with pytest.raises(SystemExit, match='pre-trained at backbone width '
                       '8, but the arms train width 16'):
        tool.main(argv)
    argv = ['regime', '--checkpoint', ckpt, '--data-root', root,
            '--seeds', '0', '--iters', '1', '--work-dir', str(tmp_path / 'w2')]
    with pytest.raises(SystemExit, match='pre-trained at backbone width '
                       '8, but the arms train width 16'):
        tool.main(argv)
    assert not osp.exists(tmp_path / 'w2')


def test_regime_no_train_summarises_seeds_from_two_machines(
        tmp_path, capsys):
    # Seeds 0-1 recorded on a GPU lease (its paths, its set's bytes) and
    # seed 2 here: --no-train trains nothing, takes every run by key,
    # config name, iterations and options, and names each seed's machine
    # and set bytes; a seed whose runs mix machines is flagged; a run of
    # another checkpoint is refused.
    from mmseg_pseudoseg.benchmarks import regime
    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    tool = _load_tool()
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, 1, 2))
    jobs = regime.make_regime_jobs(
        arms.arm_config('supervised'), CKPT, file_sha256(CKPT), root,
        [0, 1, 2], 4000, str(tmp_path / 'w'))
    gpu = dict(cpu='Xeon', cpu_capability='AVX512', gpu='NVIDIA H200',
               torch='2.11.0+cu130', numpy='2.5.2', pillow='12.3.0')
    cpu = dict(cpu='EPYC', cpu_capability='AVX512', gpu='',
               torch='2.13.0+cpu', numpy='1.26.4', pillow='13.0.0')
    gain = {16: 0, 8: 5, 4: 9, 2: 12}
    results = tmp_path / 'regime.jsonl'
    with open(results, 'w') as f:
        for job in jobs:
            run = dict(job, machine=cpu, data_digest='b' * 40,
                       miou=50.0 + job['seed'] + (
                           gain[job['denominator']]
                           if job['kind'] == 'pretrained' else -20))
            if job['seed'] < 2:
                run.update(machine=gpu, data_digest='a' * 40,
                           data_root='/elsewhere/data',
                           config='/elsewhere/' + osp.basename(job['config']))
                run['cfg_options'] = {
                    k: '/elsewhere/ck.pth' if k.endswith('.checkpoint')
                    else v for k, v in job['cfg_options'].items()}
            f.write(json.dumps(run) + '\n')
    out = tmp_path / 'regime.json'
    argv = ['regime', '--no-train', '--checkpoint', CKPT, '--data-root', root,
            '--seeds', '0', '1', '2', '--work-dir', str(tmp_path / 'w'),
            '--results', str(results), '--out', str(out)]
    tool.main(argv)
    log = capsys.readouterr().out
    assert '--no-train: 15 of 15 runs recorded' in log
    assert 'seeds 0 1: Xeon (AVX512), NVIDIA H200, torch 2.11.0+cu130' in log
    assert 'seeds 2: EPYC (AVX512), torch 2.13.0+cpu, numpy 1.26.4' in log
    assert "seeds 0 1: the set's bytes aaaaaaaaaaaa" in log
    assert 'regime check: PASSED' in log
    summary = json.load(open(out))
    assert summary['fractions']['2']['miou'] == [62.0, 63.0, 64.0]
    assert summary['machines']['2'] == [regime.machine_name(cpu)]
    assert not osp.exists(tmp_path / 'w')  # nothing trained
    # One run of seed 2 recorded on the lease: that seed mixes machines.
    runs = [json.loads(line) for line in open(results)]
    runs[-1]['machine'] = gpu
    results.write_text(''.join(json.dumps(r) + '\n' for r in runs))
    tool.main(argv)
    assert 'seed 2: runs from 2 machines' in capsys.readouterr().out
    # A run of another checkpoint is refused before anything is summarised.
    runs[0]['checkpoint_sha256'] = 'other'
    results.write_text(''.join(json.dumps(r) + '\n' for r in runs))
    with pytest.raises(SystemExit, match='came from another checkpoint'):
        tool.main(argv)


def test_mechanism_per_class_fused_minus_decoder_by_hand():
    # Per class, fused minus decoder IoU paired by seed, and across the
    # classes how it goes with the classifier's recall.
    from mmseg_pseudoseg.benchmarks import mechanism

    def result(dec, fused, recall):
        variants = {key: dict(iou=[0.9, 0.0, 0.0, 0.0])
                    for _, key in mechanism.SOURCES if key[2] != 'T'}
        variants[('decoder', None, 1.0)] = dict(iou=[0.9] + dec)
        # the targets at the model's T (0.5), scaled; not at T = 1
        variants[('fused', True, 0.5)] = dict(iou=[0.8] + fused)
        variants[('fused', True, 1.0)] = dict(iou=[0.0] * 4)
        variants[('fused, given image labels', True, 0.5)] = dict(
            iou=[0.7, 0.5, 0.5, 0.5])
        return dict(variants=variants, image_labels=dict(
            recall=recall, precision=[1.0, 1.0, 0.5]))

    per_class = {
        ('pseudoseg', 8, 0): mechanism.run_per_class(
            result([0.5, 0.4, 0.3], [0.3, 0.4, 0.5], [0.2, 0.5, 0.8]), 0.5),
        ('pseudoseg', 8, 1): mechanism.run_per_class(
            result([0.5, 0.4, 0.3], [0.1, 0.4, 0.3], [0.2, 0.5, 0.8]), 0.5),
    }
    assert per_class[('pseudoseg', 8, 0)]['fused IoU'] == [0.3, 0.4, 0.5]
    row, = mechanism.summarise_per_class(per_class, ['a', 'b', 'c'])
    assert row['seeds'] == [0, 1] and row['classes'] == ['a', 'b', 'c']
    diff = row['fused_minus_decoder']
    # class a: -0.2 and -0.4; b: 0 and 0; c: +0.2 and 0
    assert [d['mean'] for d in diff] == pytest.approx([-0.3, 0.0, 0.1])
    # two seeds: t(0.975, 1) = 12.706 times sd 0.1414 / sqrt(2)
    assert diff[0]['half_width'] == pytest.approx(1.2706, abs=1e-3)
    assert diff[1]['half_width'] == 0.0
    assert row['figures']['fused IoU']['mean'] == pytest.approx(
        [0.2, 0.4, 0.4])
    # recall 0.2, 0.5, 0.8 against -0.3, 0, +0.1: r = 0.96
    assert row['recall_vs_difference'] == pytest.approx(
        np.corrcoef([0.2, 0.5, 0.8], [-0.3, 0.0, 0.1])[0, 1])
    table = mechanism.format_per_class(row)
    assert '| a | 50.0 | 20.0 | -30.0 [' in table
    assert '| 50.0 | 20.0 | 100.0 |' in table  # true labels, recall, prec.
    assert 'r(classifier recall, fused - decoder) = +0.96' in table
    # Figures for another number of classes than named are refused.
    with pytest.raises(ValueError, match='other than the 2 classes'):
        mechanism.summarise_per_class(per_class, ['a', 'b'])
    bad = result([0.5, 0.4], [0.3, 0.4], [0.2, 0.5, 0.8])
    with pytest.raises(ValueError, match='different classes'):
        mechanism.run_per_class(bad, 0.5)
