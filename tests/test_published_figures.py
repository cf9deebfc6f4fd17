"""The label-limited benchmark's committed summaries
(``docs/benchmarks/arms-toy-patterns-cpu.json``, every row made from the
run records committed beside it, and the earlier 1/16 and 1/8 rows whose
records were lost) agree with themselves, with the regime check's summary
and with the run records:
every mean, spread, paired difference and interval recomputes from the
per-seed values, the supervised arm is the regime check's where a row says
so, and the rows made from recorded runs summarise from those records."""
import json
import os
import os.path as osp

import pytest

from mmseg_pseudoseg.benchmarks import arms
from mmseg_pseudoseg.benchmarks.curve import read_runs
from mmseg_pseudoseg.evaluation import mean_std, paired_interval
from .conftest import REPO

FIGURES = osp.join(REPO, 'docs', 'benchmarks')


def _load(name):
    with open(osp.join(FIGURES, name)) as f:
        return json.load(f)


def _close(a, b):
    return a == pytest.approx(b, rel=0, abs=1e-9)


def _same(a, b, where='summary'):
    """``a`` and ``b`` (JSON values) are equal, numbers to 1e-9: sums of
    the same values may round otherwise on another CPU's numpy (SIMD
    width), in the last bits of an interval's t-quantile."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            _same(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f'{where}[{i}]')
    elif (isinstance(a, float) and isinstance(b, (int, float))
          and not isinstance(b, bool)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9, nan_ok=True), where
    else:
        assert a == b, where


# The main summary (every row from the committed records, each fraction's
# arms and supervised runs on one machine), and the first 1/16 and 1/8 rows,
# kept with their "source" (records lost; supervised: the regime check's).
MAIN, EARLIER = SUMMARIES = ('arms-toy-patterns-cpu.json',
                             'arms-toy-patterns-1-16-1-8-earlier-cpu.json')
# The run records the main summary is made from.
RUNS = osp.join(FIGURES, 'arms-toy-patterns-cpu-runs.jsonl')


@pytest.mark.parametrize(
    'row', [r for name in SUMMARIES for r in _load(name)['rows']],
    ids=lambda r: f"1-{r['denominator']}-" + '-'.join(sorted(r['arms'])))
def test_arms_row_recomputes_from_its_per_seed_values(row):
    arms_ = row['arms']
    sup = dict(zip(arms_['supervised']['seeds'], arms_['supervised']['miou']))
    for name, a in arms_.items():
        assert len(a['seeds']) == len(a['miou']) == a['n'], name
        stats = mean_std(a['miou'])
        assert _close(a['mean'], stats['mean']), name
        assert _close(a['std'], stats['std']), name
    for name, d in row['vs_supervised'].items():
        own = dict(zip(arms_[name]['seeds'], arms_[name]['miou']))
        x = [own[s] for s in d['seeds']]
        y = [sup[s] for s in d['seeds']]
        assert all(_close(a, b - c) for a, b, c in zip(d['diffs'], x, y))
        for key, value in paired_interval(x, y).items():
            assert _close(d[key], value), (name, key)


def test_arms_supervised_rows_are_the_regime_checks_where_they_say_so():
    regime = _load('regime-toy-patterns-v2.json')['fractions']
    said = [r for r in _load(EARLIER)['rows']
            if "regime check's" in r.get('source', '')]
    assert {r['denominator'] for r in said} == {16, 8}
    for row in said:
        assert row['arms']['supervised']['miou'] == \
            regime[str(row['denominator'])]['miou']


@pytest.mark.parametrize('name', SUMMARIES)
def test_arms_rows_without_a_source_summarise_from_the_committed_runs(name):
    summary = _load(name)
    recorded = [r for r in summary['rows'] if 'source' not in r]
    if name == MAIN:  # every fraction, none carried on from elsewhere
        assert [r['denominator'] for r in recorded] == [16, 8, 4, 2]
        assert len(recorded) == len(summary['rows'])
    else:
        assert not recorded
    runs = read_runs(RUNS)
    for row in recorded:
        n = row['denominator']
        again, = arms.summarise_arms(runs, list(row['arms']), [n],
                                     summary['seeds'])
        for arm, a in row['arms'].items():
            assert again['arms'][arm]['miou'] == a['miou'], (n, arm)
        for arm, d in row['vs_supervised'].items():
            assert again['vs_supervised'][arm]['same_init'] == \
                d['same_init'], (n, arm)


def test_arms_main_rows_runs_agree_on_machine_and_data_where_recorded():
    """Within a fraction of the main summary, every run that records its
    machine and its set's digest records the same ones (the docs say each
    fraction's arms ran beside their supervised runs)."""
    runs = read_runs(RUNS)
    summary = _load(MAIN)
    for row in summary['rows']:
        n = row['denominator']
        seen = {(json.dumps(r['machine'], sort_keys=True), r['data_digest'])
                for r in (runs.get(arms.run_key(a, n, s))
                          for a, v in row['arms'].items() for s in v['seeds'])
                if r and r.get('machine')}
        assert len(seen) <= 1, (n, seen)


# The width study: the arms at backbone widths 8 and 32, each beside its
# own regime check, from the committed records, with the shipped backbone
# of that width. ``reused``: the seeds whose supervised runs are the regime
# check's (at width 32 its seeds 0-1 ran on a GPU lease and were trained
# again on the arms' CPU).
WIDTHS = {
    8: dict(summary='arms-toy-patterns-w8-cpu.json',
            runs=osp.join(FIGURES, 'arms-toy-patterns-w8-cpu-runs.jsonl'),
            regime='regime-toy-patterns-w8-cpu.json',
            ckpt=osp.join(REPO, 'checkpoints', 'toy_patterns_backbone_w8.pth'),
            reused=[0, 1, 2, 3, 4]),
    32: dict(summary='arms-toy-patterns-w32-cpu.json',
             runs=osp.join(FIGURES, 'arms-toy-patterns-w32-cpu-runs.jsonl'),
             regime='regime-toy-patterns-w32-h200-cpu.json',
             ckpt=osp.join(REPO, 'checkpoints',
                           'toy_patterns_backbone_w32.pth'),
             reused=[2, 3, 4]),
}


@pytest.mark.parametrize(
    'width,row',
    [(w, r) for w, d in WIDTHS.items() for r in _load(d['summary'])['rows']],
    ids=lambda x: f'1-{x["denominator"]}' if isinstance(x, dict) else
    f'w{x}')
def test_width_rows_recompute_and_summarise_from_their_runs(width, row):
    test_arms_row_recomputes_from_its_per_seed_values(row)
    study = WIDTHS[width]
    summary = _load(study['summary'])
    assert summary['backbone_width'] == width and 'source' not in row
    assert summary['seeds'] == [0, 1, 2, 3, 4]
    runs = read_runs(study['runs'])
    n = row['denominator']
    again, = arms.summarise_arms(runs, list(row['arms']), [n],
                                 summary['seeds'])
    _same(again['arms'], row['arms'])
    for arm, d in row['vs_supervised'].items():
        assert d['same_init'] == len(d['seeds'])  # every pair
        assert again['vs_supervised'][arm]['same_init'] == d['same_init']
    used = [runs[arms.run_key(a, n, s)] for a, v in row['arms'].items()
            for s in v['seeds']]
    # Every run has the study's width, is from the shipped checkpoint, and
    # ran on one machine and one set.
    sha = _read_sha(study['ckpt'])
    for run in used:
        opts = run['cfg_options']
        assert width in (opts.get('model.backbone.base_channels'),
                         opts.get('model.segmentor.backbone.base_channels'))
        assert run['checkpoint_sha256'] == sha
    assert len({(_machine(r), r['data_digest']) for r in used}) == 1
    # Its supervised arm is its regime check's (the runs reused) where the
    # study says so.
    regime = _load(study['regime'])
    assert regime['backbone_width'] == width
    sup = dict(zip(row['arms']['supervised']['seeds'],
                   row['arms']['supervised']['miou']))
    reg = dict(zip(regime['seeds'], regime['fractions'][str(n)]['miou']))
    assert [sup[s] for s in study['reused']] == \
        [reg[s] for s in study['reused']]


def _machine(run):
    """A run's machine record; runs recorded before records named the GPU
    (``machine.gpu``, '' on a CPU) ran on a CPU (a lease's records name
    its CUDA build of torch)."""
    machine = dict(run['machine'])
    if 'gpu' not in machine:
        assert '+cu' not in machine['torch'], machine
        machine['gpu'] = ''
    return json.dumps(machine, sort_keys=True)


def _read_sha(path):
    with open(path + '.sha256') as f:
        return f.read().split()[0]


@pytest.mark.parametrize('path', [
    osp.join(REPO, 'checkpoints', 'toy_patterns_backbone.pth')] +
    [d['ckpt'] for d in WIDTHS.values()])
def test_shipped_backbones_match_their_checksums_and_widths(path):
    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS

    from mmseg_pseudoseg.benchmarks.pretrain import file_sha256
    from mmseg_pseudoseg.engine.hooks import check_pretrained
    assert file_sha256(path) == _read_sha(path)
    width = torch.load(path, map_location='cpu')['meta'].get('width', 16)
    cfg = Config.fromfile(arms.arm_config('pseudoseg'))
    cfg.merge_from_dict(dict(
        arms.width_options('pseudoseg', width),
        **{'model.segmentor.backbone.init_cfg.checkpoint': path}))
    assert check_pretrained(MODELS.build(cfg.model)) == 1


@pytest.mark.parametrize('width', sorted(WIDTHS))
def test_width_summary_is_what_its_documented_command_prints(tmp_path,
                                                             width):
    # The docs' `arms --no-train` command (no --seeds: the default 0-4)
    # summarises the committed runs into the committed rows.
    study = WIDTHS[width]
    again = _summarise_again(tmp_path, [
        'arms', '--no-train', '--backbone-width', str(width), '--checkpoint',
        study['ckpt'], '--arms', 'supervised', 'pseudoseg', 'decoder',
        '--fractions', '16', '8', '--iters', '4000', '--results',
        study['runs'], '--json'])
    _same(again['rows'], _load(study['summary'])['rows'])


def _summarise_again(tmp_path, argv, num_classes=8):
    """The summary ``tools/benchmark.py`` writes (to the path after the
    last option of ``argv``) from committed runs, on a tiny set of
    ``num_classes`` classes."""
    from mmseg_pseudoseg.datasets import make_toy_patterns
    from .test_benchmarks import _load_tool
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=2, split_seeds=(0, ),
                             num_classes=num_classes)
    out = tmp_path / 'summary.json'
    _load_tool().main(argv + [str(out), '--data-root', root, '--work-dir',
                              str(tmp_path / 'w')])
    with open(out) as f:
        return json.load(f)


MECHANISM = [f'mechanism-toy-patterns-{w}1-{n}-cpu.json'
             for w, ns in (('', (16, 8, 4, 2)), ('w8-', (16, 8)),
                           ('w32-', (16, 8)))
             for n in ns]


@pytest.mark.parametrize('name', MECHANISM)
def test_mechanism_per_class_recomputes_and_agrees_with_the_figures(name):
    # Each committed mechanism summary's per-class part (the goal's
    # fused-against-decoder comparison per class): the benchmark's eight
    # classes, every difference and interval from the per-seed IoUs, and
    # each seed's mean recall over the classes is the figures' recall.
    from mmseg_pseudoseg.benchmarks.mechanism import _pearson
    from mmseg_pseudoseg.datasets.toy_patterns import PATTERN_CLASSES
    rows = _load(name)
    assert {r['arm'] for r in rows} == {'pseudoseg', 'decoder'}
    for row in rows:
        cls = row['per_class']
        assert cls['classes'] == list(PATTERN_CLASSES[1:])
        f = cls['figures']
        diffs = []
        for c in range(len(cls['classes'])):
            want = paired_interval([v[c] for v in f['fused IoU']['values']],
                                   [v[c] for v in f['decoder IoU']['values']])
            got = cls['fused_minus_decoder'][c]
            assert all(_close(got[k], want[k]) for k in want), (name, c)
            diffs.append(want['mean'])
        for k, fig in f.items():
            assert len(fig['values']) == len(row['seeds'])
            for c, m in enumerate(fig['mean']):
                assert _close(m, mean_std([v[c] for v in fig['values']])[
                    'mean']), (name, k, c)
        assert _close(cls['recall_vs_difference'],
                      _pearson(f['classifier recall']['mean'], diffs))
        recall = row['figures']['classifier: recall (mean over classes)']
        for seed_recall, per_class in zip(recall['values'],
                                          f['classifier recall']['values']):
            assert _close(seed_recall, sum(per_class) / len(per_class))


# The regime checks at width 32: eight classes (seeds 0-1 on a GPU lease,
# 2-4 on the CPU; the lease's runs are told by their CUDA build of torch,
# recorded before records named the GPU) and sixteen classes (on one AVX2
# CPU).
REGIMES = {
    'w32': dict(summary='regime-toy-patterns-w32-h200-cpu.json',
                runs='regime-toy-patterns-w32-runs.jsonl', classes=8,
                gpu_seeds=['0', '1']),
    'c16-w32': dict(summary='regime-toy-patterns16-w32-cpu.json',
                    runs='regime-toy-patterns16-w32-cpu-runs.jsonl',
                    classes=16, gpu_seeds=[]),
}
W32_CKPT = WIDTHS[32]['ckpt']


@pytest.mark.parametrize('name', sorted(REGIMES))
def test_w32_regime_is_what_its_documented_command_prints(tmp_path, name):
    # The docs' `regime --no-train` command summarises the committed runs
    # into the committed summary; each seed has its five runs (1/16 .. 1/2
    # and random init at 1/16), 32 wide, with the study's classes and
    # schedule, from the shipped checkpoint, on the study's set, and each
    # seed's runs come from one machine (so every paired difference is
    # within one machine).
    study = REGIMES[name]
    runs_file = osp.join(FIGURES, study['runs'])
    again = _summarise_again(tmp_path, [
        'regime', '--no-train', '--classes', str(study['classes']),
        '--backbone-width', '32', '--checkpoint', W32_CKPT, '--results',
        runs_file, '--out'], num_classes=study['classes'])
    summary = _load(study['summary'])
    for key in ('seeds', 'fractions', 'steps', 'gain', 'random',
                'vs_random', 'checks', 'passed', 'machines',
                'data_digests', 'backbone_width', 'checkpoint_sha256'):
        _same(again[key], summary[key], key)
    assert summary['seeds'] == [0, 1, 2, 3, 4]
    assert summary['backbone_width'] == 32
    assert summary.get('num_classes', 8) == study['classes']
    assert all(len(m) == 1 for m in summary['machines'].values())
    gpu = [s for s, m in summary['machines'].items() if '+cu' in m[0]]
    assert gpu == study['gpu_seeds']
    runs = read_runs(runs_file)
    assert len(runs) == 25
    sha = _read_sha(W32_CKPT)
    dataset = 'ToyPatternsDataset' if study['classes'] == 8 else \
        f'ToyPatterns{study["classes"]}Dataset'
    for seed in summary['seeds']:
        mine = [r for r in runs.values() if r['seed'] == seed]
        assert sorted((r['kind'], r['denominator']) for r in mine) == \
            sorted([('pretrained', n) for n in (16, 8, 4, 2)] +
                   [('random', 16)])
    for run in runs.values():
        opts = run['cfg_options']
        assert opts['model.backbone.base_channels'] == 32
        assert opts.get('model.decode_head.num_classes', 9) == \
            study['classes'] + 1
        assert opts.get('val_dataloader.dataset.type',
                        'ToyPatternsDataset') == dataset
        assert run['iters'] == 4000
        if run['kind'] == 'pretrained':
            assert run['checkpoint_sha256'] == sha
        else:  # random init
            assert opts['model.backbone.init_cfg'] is None


def test_sixteen_class_arms_runs_so_far_are_the_studys():
    # The sixteen-class arms' runs committed so far (the study resumes from
    # this file): every run has its arm's overrides at width 32 and sixteen
    # classes, 4,000 iterations, the shipped checkpoint; the supervised
    # runs are the regime check's; each semi-supervised run starts from its
    # supervised pair's weights, on its machine and set.
    runs = read_runs(osp.join(FIGURES,
                              'arms-toy-patterns16-w32-cpu-runs.jsonl'))
    regime = read_runs(osp.join(FIGURES, REGIMES['c16-w32']['runs']))
    sha = _read_sha(W32_CKPT)
    assert {r['kind'] for r in runs.values()} <= {'supervised', 'pseudoseg',
                                                  'decoder'}
    for run in runs.values():
        kind, n, seed = run['kind'], run['denominator'], run['seed']
        assert n in (16, 8) and seed in range(5) and run['iters'] == 4000
        assert run['checkpoint_sha256'] == sha
        want = dict(arms.ARMS[kind]['options'] or {},
                    **arms.width_options(kind, 32),
                    **arms.classes_options(kind, 16))
        opts = {k: v for k, v in run['cfg_options'].items()
                if not k.endswith('init_cfg.checkpoint')}
        assert opts == want, run['key']
        sup = runs[arms.run_key('supervised', n, seed)]
        assert sup['miou'] == \
            regime[arms.run_key('pretrained', n, seed)]['miou']
        if kind != 'supervised':
            assert arms._same_init(run, sup), run['key']
            assert (_machine(run), run['data_digest']) == \
                (_machine(sup), sup['data_digest'])
    # The mechanism figures kept for them are of these very runs, on all
    # their unlabeled images, with the sixteen classes (the docs' mechanism
    # table is summarised from them without the checkpoints).
    from mmseg_pseudoseg.benchmarks.mechanism import recorded_figures
    from mmseg_pseudoseg.datasets.toy_patterns import PATTERN16_CLASSES
    figures_file = osp.join(FIGURES,
                            'mechanism-toy-patterns16-w32-figures.jsonl')
    semi = [r for r in runs.values() if r['kind'] != 'supervised']
    kept = recorded_figures(figures_file, semi, None)
    assert set(kept) == set(read_runs(figures_file))  # none of other runs
    assert len(kept) >= 2
    for line in kept.values():
        assert line['classes'] == list(PATTERN16_CLASSES[1:])


def _refuse_constant(name):
    raise ValueError(f'{name} is not JSON')


@pytest.mark.parametrize('name', sorted(
    n for n in os.listdir(FIGURES)
    if n.endswith(('.json', '.jsonl'))))
def test_published_files_are_strict_json(name):
    # Strict readers (JavaScript, jq, most non-Python parsers) refuse NaN
    # and Infinity; Python's json writes them unless told not to. Every
    # summary and every run or figures record published here must parse
    # without them, line by line for JSON lines.
    with open(osp.join(FIGURES, name)) as f:
        text = f.read()
    docs = text.splitlines() if name.endswith('.jsonl') else [text]
    for number, doc in enumerate(docs, 1):
        if doc.strip():
            try:
                json.loads(doc, parse_constant=_refuse_constant)
            except ValueError as err:
                raise AssertionError(f'{name}:{number}: {err}') from None
