"""The benchmark scenes set, the paired initialisation, and every
tools/benchmark.py subcommand run once with minimal settings (outputs
exist, numbers finite; no timing asserts)."""
import importlib.util
import json
import math
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.registry import MODELS
from mmseg_pseudoseg.datasets import make_toy_scenes, read_split
from mmseg_pseudoseg.datasets.toy_scenes import write_scene_splits
from .conftest import REPO

SCENES = dict(
    pseudoseg=osp.join(REPO, 'configs/pseudoseg/toy-scenes.py'),
    supervised=osp.join(REPO, 'configs/supervised/toy-scenes.py'))


# ----------------------------------------------------------------------
# The scenes set and the paired initialisation.
def test_toy_scenes_are_deterministic_and_labelled(tmp_path):
    a = make_toy_scenes(str(tmp_path / 'a'), num_train=16, num_val=4,
                        split_seeds=(0, 1))
    b = make_toy_scenes(str(tmp_path / 'b'), num_train=16, num_val=4,
                        split_seeds=(0, 1))
    for name in ('JPEGImages/train_0003.jpg',
                 'SegmentationClass/val_0001.png'):
        with open(osp.join(a, name), 'rb') as fa, \
                open(osp.join(b, name), 'rb') as fb:
            assert fa.read() == fb.read()
    values = set()
    for i in range(16):
        seg = np.array(Image.open(
            osp.join(a, f'SegmentationClass/train_{i:04d}.png')))
        values |= set(np.unique(seg).tolist())
    assert values == {0, 1, 2, 255}
    s0 = read_split(osp.join(a, 'splits/seed0/1-8/labeled.txt'))
    s1 = read_split(osp.join(a, 'splits/seed1/1-8/labeled.txt'))
    assert len(s0) == len(s1) == 2 and s0 != s1
    assert s0 == read_split(osp.join(a, 'splits/1-8/labeled.txt'))
    unlabeled = read_split(osp.join(a, 'splits/seed1/1-8/unlabeled.txt'))
    assert not set(s1) & set(unlabeled) and len(unlabeled) == 14
    # Lists for another fraction, written later, leave the others as they
    # are (each draw is seeded by the seed and the denominator).
    before = open(osp.join(a, 'splits/seed1/1-8/labeled.txt')).read()
    write_scene_splits(a, (16, ), (1, ))
    assert len(read_split(osp.join(a, 'splits/seed1/1-16/labeled.txt'))) == 1
    assert open(osp.join(a, 'splits/seed1/1-8/labeled.txt')).read() == before
    with pytest.raises(ValueError, match='16 training images'):
        write_scene_splits(a, (32, ), (1, ))


def test_paired_runs_start_from_the_same_segmentor_weights():
    from mmseg_pseudoseg.benchmarks.curve import (_segmentor_state,
                                                  weights_fingerprint)
    prints = []
    for kind in ('supervised', 'pseudoseg'):
        torch.manual_seed(3)
        model = MODELS.build(Config.fromfile(SCENES[kind]).model)
        model.init_weights()
        prints.append(weights_fingerprint(_segmentor_state(model)))
    assert prints[0] == prints[1]
    torch.manual_seed(4)
    other = MODELS.build(Config.fromfile(SCENES['supervised']).model)
    other.init_weights()
    assert weights_fingerprint(_segmentor_state(other)) != prints[0]


def test_colour_jitter_control_is_the_baseline_plus_the_strong_jitter():
    base = Config.fromfile(SCENES['supervised'])
    control = Config.fromfile(
        osp.join(REPO, 'configs/supervised/toy-scenes_colorjitter.py'))
    jitter = [Config.fromfile(SCENES['pseudoseg']).toy_colour_jitter]
    pipeline = base.train_dataloader.dataset.pipeline
    assert control.train_dataloader.dataset.pipeline == (
        pipeline[:-1] + jitter + pipeline[-1:])
    control.train_dataloader.dataset.pipeline = pipeline
    assert control.to_dict() == base.to_dict()


# ----------------------------------------------------------------------
# Every subcommand through tools/benchmark.py's main(argv), as the command
# line calls it (in this process, to save the interpreter start-ups; curve
# and step still start their worker processes).
def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', osp.join(REPO, 'tools/benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench(capsys, *argv):
    _load_tool().main([str(a) for a in argv])
    return capsys.readouterr().out


def _finite(values):
    return all(math.isfinite(v) for v in values)


def test_default_outputs_stay_out_of_tracked_files():
    """Without --out/--work-dir/--json nothing a benchmark writes lands in
    docs/ or checkpoints/ (tracked): only under work_dirs/ (or data/ for a
    written data set), both ignored by git."""
    tool = _load_tool()
    ignored = open(osp.join(REPO, '.gitignore')).read().split()
    assert 'work_dirs/' in ignored and 'data/' in ignored
    required = dict(calibration=['--checkpoint', 'x.pth'])
    checked = 0
    for name in ('calibration', 'curve', 'step', 'data', 'miou',
                 'fake-data', 'train', 'per-class', 'pretrain', 'regime',
                 'arms'):
        args = tool.parse_args([name] + required.get(name, []))
        for key in ('out', 'work_dir', 'json', 'results', 'data_root'):
            value = getattr(args, key, None)
            if value is None:
                continue
            checked += 1
            assert value.startswith(('work_dirs/', 'data/')), (
                name, key, value)
    assert checked >= 8


def test_curve_then_calibration_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    root = make_toy_scenes(str(tmp_path / 'scenes'), num_train=16,
                           num_val=4, split_seeds=(0, ))
    out, work = tmp_path / 'out', tmp_path / 'work'
    log = _bench(capsys, 'curve', '--data-root', root, '--fractions', 16,
                 '--seeds', 0, '--iters', 2, '--jobs', 2, '--work-dir',
                 work, '--out', out, '--json', tmp_path / 'curve.json')
    assert 'PseudoSeg - supervised' in log
    assert osp.isfile(out / 'curve.png')
    assert osp.isfile(out / 'curve-pseudo-label-accuracy.png')
    rows = json.load(open(tmp_path / 'curve.json'))
    assert rows[0]['same_init'] == 1
    assert _finite([rows[0]['supervised']['mean'],
                    rows[0]['pseudoseg']['mean'], rows[0]['diff']['mean']])
    # A second call finds both runs done and trains nothing.
    log = _bench(capsys, 'curve', '--data-root', root, '--fractions', 16,
                 '--seeds', 0, '--iters', 2, '--work-dir', work, '--out',
                 out)
    assert '2 of 2 runs already in' in log
    # Per class: both checkpoints rescored on the val set; the mIoU from
    # the confusion matrices is the one each run logged.
    log = _bench(capsys, 'per-class', '--results', work / 'curve.jsonl',
                 '--json', tmp_path / 'per-class.json')
    assert 'IoU stripes' in log
    groups = json.load(open(tmp_path / 'per-class.json'))
    assert sorted(g['kind'] for g in groups) == ['pseudoseg', 'supervised']
    assert all(g['miou_gap'] < 0.01 for g in groups)
    assert all(abs(sum(row) - 1) < 1e-6 for g in groups for row in g['rows']
               if sum(row))
    with pytest.raises(SystemExit, match='no run matches'):
        _bench(capsys, 'per-class', '--results', work / 'curve.jsonl',
               '--fractions', 2)
    ckpt = work / 'pseudoseg_1-16_seed0' / 'iter_2.pth'
    log = _bench(capsys, 'calibration', '--checkpoint', ckpt, '--data-root',
                 root, '--split-dir', 'splits/seed0/1-16', '--temperatures',
                 0.5, 1.0, '--max-images', 6, '--out', out, '--json',
                 tmp_path / 'cal.json')
    assert 'ECE' in log
    assert osp.isfile(out / 'calibration-reliability.png')
    result = json.load(open(tmp_path / 'cal.json'))
    assert result['max_fused_diff'] < 1e-5
    # Per T: decoder, SGC, fused scaled and not, and the last two from the
    # true image labels; once: SGC from the true image labels.
    assert len(result['variants']) == 2 * 6 + 1
    assert _finite([v['ece'] for v in result['variants'].values()])
    assert _finite([v['acc'] for v in result['variants'].values()])
    # The mechanism figures: each source's foreground called background,
    # and how much of the objects the Grad-CAM covers, from the predicted
    # and from the true image labels.
    assert 'foreground called background' in log and 'Grad-CAM' in log
    assert all(0 <= v['fg_to_bg'] <= 1 for v in result['variants'].values())
    given = result['cam_coverage']['CAM, given image labels']
    assert 0 <= given['>0.5']['all'] <= given['>0']['all'] <= 1
    # The same figures over the runs of a results file, each run on its
    # own split's unlabeled images; a run without an SGC head is refused.
    log = _bench(capsys, 'mechanism', '--results', work / 'curve.jsonl',
                 '--arms', 'pseudoseg', '--max-images', 4, '--json',
                 tmp_path / 'mech.json')
    assert 'pseudoseg 1/16 (n=1)' in log
    row, = json.load(open(tmp_path / 'mech.json'))
    assert row['seeds'] == [0]
    fused = row['figures']['fused (the targets): foreground called '
                           'background']
    assert 0 <= fused['mean'] <= 1 and fused['std'] == 0
    # Per class (the dataset's foreground classes), fused against decoder.
    cls = row['per_class']
    assert cls['classes'] == ['stripes', 'dots']
    assert len(cls['fused_minus_decoder']) == 2
    assert '| stripes | ' in log and 'fused - decoder [95%]' in log
    per_seed = cls['figures']['classifier recall']['values']
    assert len(per_seed) == 1 and len(per_seed[0]) == 2
    assert row['figures']['classifier: recall (mean over classes)'][
        'mean'] == pytest.approx(np.mean(per_seed[0]))
    # one seed: the difference per class with no interval (null in the
    # JSON: NaN is not JSON)
    assert all(d['half_width'] is None and d['low'] is None
               for d in cls['fused_minus_decoder'])
    # A control on a copy of the results: another supervised config and an
    # override retrain the supervised run only, and its record says how.
    control = tmp_path / 'control.jsonl'
    shutil.copy(work / 'curve.jsonl', control)
    jitter = osp.join(REPO, 'configs/supervised/toy-scenes_colorjitter.py')
    log = _bench(capsys, 'curve', '--data-root', root, '--fractions', 16,
                 '--seeds', 0, '--iters', 2, '--work-dir',
                 tmp_path / 'work-control', '--out', out, '--results',
                 control, '--supervised-config', jitter,
                 '--supervised-options', 'optim_wrapper.optimizer.lr=0.05')
    assert '1 of 2 runs already in' in log
    last = json.loads(open(control).read().splitlines()[-1])
    assert last['kind'] == 'supervised' and last['config'] == jitter
    assert last['cfg_options'] == {'optim_wrapper.optimizer.lr': 0.05}
    assert osp.isfile(tmp_path / 'work-control' / 'supervised_1-16_seed0' /
                      'iter_2.pth')


def test_step_and_data_cli(tmp_path, capsys):
    unimatch = osp.join(REPO, 'configs/unimatch/toy.py')
    _bench(capsys, 'step', '--batch', 2, '--crop', 32, '--iters', 1,
           '--warmup', 1, '--json', tmp_path / 'step.json', '--methods',
           f'UniMatch={unimatch}')
    step = json.load(open(tmp_path / 'step.json'))
    assert set(step['steps']) == {
        'supervised', 'PseudoSeg', 'PseudoSeg, shared weak pass'
    }
    assert _finite([v['seconds'] for v in step['steps'].values()])
    assert _finite(step['passes'].values()) and len(step['passes']) == 8
    # Another method (FixMatch is a config of the same model), against its
    # own segmentor trained supervised.
    assert set(step['methods']) == {'UniMatch'}
    for r in step['methods'].values():
        assert _finite([r['seconds'], r['supervised_seconds']])
        assert r['peak_gib'] > 0 and r['supervised_peak_gib'] > 0
    with pytest.raises(SystemExit, match='NAME=CONFIG'):
        _bench(capsys, 'step', '--methods', 'UniMatch')
    # The default methods are toy configs: timed beside the toy models
    # only, never silently beside another model's figures.
    tool = _load_tool()
    toy = tool.step_methods(tool.parse_args(['step']))
    assert [m.split('=')[0] for m in toy] == ['UniMatch', 'FixMatch']
    voc = tool.parse_args(['step', '--pseudoseg-config', 'ps.py'])
    assert tool.step_methods(voc) == []
    assert 'Other methods left out' in capsys.readouterr().out
    asked = tool.parse_args(['step', '--pseudoseg-config', 'ps.py',
                             '--methods', f'UniMatch={unimatch}'])
    assert tool.step_methods(asked) == [f'UniMatch={unimatch}']
    log = _bench(capsys, 'data', '--images', 2, '--items', 2, '--json',
                 tmp_path / 'data.json')
    assert 'images / s per worker' in log
    data = json.load(open(tmp_path / 'data.json'))
    assert _finite([data['labeled_s'], data['unlabeled_s']])


# ----------------------------------------------------------------------
# fake-data and train: the real training loop's time and memory.
def _voc_config_on(tmp_path, ids):
    """A config file inheriting configs/pseudoseg/voc_1-8.py, its datasets
    pointed at tmp_path/voc with short lists of ``ids``."""
    lists = {}
    for name, listed in ids.items():
        lists[name] = tmp_path / f'{name}.txt'
        lists[name].write_text(''.join(f'{i}\n' for i in listed))
    root = tmp_path / 'voc'
    path = tmp_path / 'voc_fake.py'

    def ds(name):
        return f"dict(data_root=r'{root}', ann_file=r'{lists[name]}')"

    path.write_text(
        f"_base_ = r'{osp.join(REPO, 'configs/pseudoseg/voc_1-8.py')}'\n"
        f"train_dataloader = dict(dataset=dict(labeled={ds('labeled')}, "
        f"unlabeled={ds('unlabeled')}))\n"
        f"val_dataloader = dict(dataset={ds('val')})\n"
        f"test_dataloader = dict(dataset={ds('val')})\n")
    return str(path), root


def test_fake_data_writes_the_listed_files_and_spares_real_data(
        tmp_path, capsys):
    from mmseg_pseudoseg.benchmarks.fake_data import MARKER, listed_files
    ids = dict(
        labeled=['2007_000032', '2007_000039'],
        unlabeled=['2007_000033', '2008_000002', '2007_000039'],
        val=['2007_000129'])
    path, root = _voc_config_on(tmp_path, ids)
    log = _bench(capsys, 'fake-data', '--config', path, '--size', 50, 40,
                 '--workers', 1)
    # 5 distinct images (one id is both labeled and unlabeled), labels for
    # the labeled and val ids only (the unlabeled stream loads none).
    assert "{'images': 5, 'labels': 3, 'image_labels': 0}" in log
    cfg = Config.fromfile(path)
    assert all(osp.isfile(p) for p in listed_files(cfg))
    assert not osp.exists(root / 'SegmentationClass/2008_000002.png')
    img = np.asarray(Image.open(root / 'JPEGImages/2007_000032.jpg'))
    assert img.shape in ((40, 50, 3), (50, 40, 3))
    seg = np.asarray(Image.open(root / 'SegmentationClass/2007_000032.png'))
    assert seg.shape == img.shape[:2]
    assert set(np.unique(seg)) <= set(range(21)) | {255}
    # The datasets build (MixedDataset checks every file up front) and a
    # sample goes through the config's label validation.
    from mmseg.registry import DATASETS
    train = DATASETS.build(cfg.train_dataloader.dataset)
    item = train[0]
    assert set(item['inputs']) == {'sup', 'weak', 'strong'}
    seg = item['data_samples']['sup'].gt_sem_seg.data
    assert set(seg.unique().tolist()) <= set(range(21)) | {255}
    # Again: same bytes (seeded by the id).
    before = (root / 'JPEGImages/2007_000032.jpg').read_bytes()
    _bench(capsys, 'fake-data', '--config', path, '--size', 50, 40,
           '--workers', 1)
    assert (root / 'JPEGImages/2007_000032.jpg').read_bytes() == before
    # A root holding files without the marker is never written to.
    (root / MARKER).unlink()
    with pytest.raises(FileExistsError, match=str(root)):
        _bench(capsys, 'fake-data', '--config', path, '--workers', 1)
    # A missing list is named with its config key.
    (tmp_path / 'val.txt').unlink()
    with pytest.raises(FileNotFoundError, match='val_dataloader.dataset'):
        _bench(capsys, 'fake-data', '--config', path, '--workers', 1)


def test_train_benchmark_times_the_real_loop(toy_root, tmp_path):
    from mmseg_pseudoseg.benchmarks import train as train_lib

    from .conftest import PSEUDOSEG_TOY, toy_cfg
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path / 'unused')
    cfg.model.segmentor.pretrained = 'no-such-checkpoint.pth'  # not loaded
    work = str(tmp_path / 'work')
    # Logged every 2 iterations, so a few iterations make whole windows.
    result = train_lib.bench_train(
        cfg, iters=4, warmup=2, work_dir=work, log_interval=2)
    assert result['iters_measured'] == 2 and result['windows'] == 1
    assert result['time'] > 0 and result['data_time'] >= 0
    assert result['device'] == 'cpu' and result['peak_mib'] is None
    # No validation and no checkpoint in a timing run.
    rows = train_lib.logged_train_scalars(work, skip=())
    assert max(rows) == 4
    assert not any('mIoU' in k for r in rows.values() for k in r)
    import glob
    assert not glob.glob(f'{work}/**/*.pth', recursive=True)
    line = train_lib.format_train(result, 'toy', result)
    assert 'time x1.00' in line and 'n/a (CPU)' in line
    with pytest.raises(ValueError, match='warm-up'):
        train_lib.summarise_log(work, warmup=4)
    # A shorter run into the same work_dir is summarised from its own log,
    # not merged with the longer one before it.
    longer = train_lib.bench_train(
        cfg, iters=6, warmup=2, work_dir=work, log_interval=2)
    assert longer['iters_measured'] == 4 and longer['windows'] == 2
    again = train_lib.bench_train(
        cfg, iters=4, warmup=2, work_dir=work, log_interval=2)
    assert again['iters_measured'] == 2 and again['windows'] == 1
    with pytest.raises(ValueError, match='--warmup'):
        train_lib.bench_train(cfg, iters=2, warmup=2, work_dir=work)


def test_curve_summary_reports_pseudo_label_quality_history():
    # Two seeds at 1/8; PseudoSeg runs carry the per-tenth history of the
    # pseudo labels' mIoU and foreground-to-background share.
    from mmseg_pseudoseg.benchmarks.curve import (format_curve, run_key,
                                                  summarise)
    results = {}
    for seed, (sup, ps) in enumerate([(50.0, 52.0), (54.0, 55.0)]):
        results[run_key('supervised', 8, seed)] = dict(
            miou=sup, seed=seed, init_fingerprint='a')
        history = dict(
            pl_miou_pseudo=[0.1 * (seed + 1)] * 10,
            pl_fg_to_bg_sgc=[0.5 + 0.01 * i for i in range(10)])
        results[run_key('pseudoseg', 8, seed)] = dict(
            miou=ps, seed=seed, init_fingerprint='a', history=history)
    rows = summarise(results, [8], [0, 1])
    assert rows[0]['diffs'] == [2.0, 1.0]
    # Mean over seeds: 0.15 at every tenth.
    assert rows[0]['pl_history']['pl_miou_pseudo'] == pytest.approx(
        [0.15] * 10)
    text = format_curve(rows)
    line = [t for t in text.splitlines() if t.startswith('| 1/8 |')][-1]
    assert line == ('| 1/8 | 0.150 / 0.150 / 0.150 | - | - | - | - | '
                    '0.500 / 0.540 / 0.590 |')


def test_miou_writes_its_numbers_when_asked(tmp_path, capsys, monkeypatch):
    # The training itself is the toy tools' (tested there); here the
    # pairing, the summary and the --json file, on stand-in results.
    tool = _load_tool()
    root = tmp_path / 'toy'
    (root / 'splits/1-8').mkdir(parents=True)
    (root / 'splits/1-8/labeled.txt').write_text('0\n')
    scores = {('supervised', 0): 50.0, ('pseudoseg', 0): 47.0,
              ('supervised', 1): 40.0, ('pseudoseg', 1): 41.0}
    monkeypatch.setattr(
        tool, '_train_and_eval',
        lambda cfg, root, seed, iters: scores[
            ('pseudoseg' if 'pseudoseg' in cfg else 'supervised', seed)])
    tool.main(['miou', '--data-root', str(root), '--seeds', '0', '1',
               '--json', str(tmp_path / 'miou.json')])
    assert 'paired differences (PseudoSeg - supervised, same seed): ' \
        '-3.00, +1.00' in capsys.readouterr().out
    result = json.load(open(tmp_path / 'miou.json'))
    assert result['supervised'] == [50.0, 40.0]
    assert result['pseudoseg'] == [47.0, 41.0]
    assert result['summary']['diff']['mean'] == pytest.approx(-1.0)
