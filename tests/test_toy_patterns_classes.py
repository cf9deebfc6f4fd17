"""The toy patterns set's sixteen-class variant (the benchmark's eight
classes and eight more, ``make_toy_patterns(..., num_classes=16)``) and the
benchmark tool's ``--classes 16``: the set, its stamp and refusals, and
every arm's class count and dataset following it."""
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmseg_pseudoseg.benchmarks import arms
from mmseg_pseudoseg.benchmarks.curve import train_one
from mmseg_pseudoseg.datasets import check_toy_patterns, make_toy_patterns
from mmseg_pseudoseg.datasets.pattern_families import (BENCHMARK_FAMILIES,
                                                       CLASSES16_FAMILIES,
                                                       PRETRAIN_FAMILIES,
                                                       pattern_weights)
from .conftest import REPO
from .test_benchmarks import _load_tool

CKPT = osp.join(REPO, 'checkpoints/toy_patterns_backbone.pth')
NEW = [n for n in CLASSES16_FAMILIES if n not in BENCHMARK_FAMILIES]


def test_sixteen_classes_are_the_benchmarks_then_eight_unseen_families():
    # Labels 1-8 as in the benchmark, then eight families that are neither
    # the benchmark's nor the pre-training's (as VOC's classes are not
    # ImageNet's, the backbone has seen none of them).
    assert list(CLASSES16_FAMILIES)[:8] == list(BENCHMARK_FAMILIES)
    assert len(NEW) == 8
    assert not set(CLASSES16_FAMILIES) & set(PRETRAIN_FAMILIES)
    functions = list(CLASSES16_FAMILIES.values()) + list(
        PRETRAIN_FAMILIES.values())
    assert len(set(functions)) == len(functions)


@pytest.mark.parametrize('name', NEW)
def test_each_new_family_draws_two_colour_weights_from_its_seed(name):
    family = CLASSES16_FAMILIES[name]
    for seed in range(4):
        w = pattern_weights(np.random.default_rng(seed), family, 48, 48,
                            (4.0, 8.0))
        again = pattern_weights(np.random.default_rng(seed), family, 48, 48,
                                (4.0, 8.0))
        assert w.shape == (48, 48) and w.dtype == np.float32
        assert np.array_equal(w, again)
        assert w.min() >= 0 and w.max() <= 1
        # Both colours show: a pattern, not a plain surface.
        assert 0.03 < float(w.mean()) < 0.97, (name, seed, w.mean())


def _labels(root):
    seen = set()
    for path in glob.glob(osp.join(root, 'SegmentationClass', '*.png')):
        seen |= set(np.unique(np.array(Image.open(path))).tolist())
    return seen


def test_sixteen_class_set_stamp_and_refusals(tmp_path):
    root = make_toy_patterns(str(tmp_path / 'p16'), num_train=16,
                             num_val=4, split_seeds=(0, ), num_classes=16)
    labels = _labels(root)
    assert labels <= set(range(17)) | {255}
    assert max(labels - {255}) > 8  # the new classes are drawn
    with open(osp.join(root, 'toy_patterns.json')) as f:
        stamp = json.load(f)
    assert stamp['num_classes'] == 16 and stamp['draw'] == {}
    assert check_toy_patterns(root, 16) == stamp
    with pytest.raises(ValueError, match=r'p16: toy patterns set with 16 '
                       r'foreground classes, the run asks for 8'):
        check_toy_patterns(root)
    eight = make_toy_patterns(str(tmp_path / 'p8'), num_train=16, num_val=2,
                              split_seeds=(0, ))
    with open(osp.join(eight, 'toy_patterns.json')) as f:
        assert 'num_classes' not in json.load(f)  # the benchmark's stamp
    with pytest.raises(ValueError, match='p8: toy patterns set with 8'):
        check_toy_patterns(eight, 16)
    with pytest.raises(ValueError, match=r'num_classes must be one of '
                       r'\[8, 16\]'):
        make_toy_patterns(str(tmp_path / 'x'), num_classes=12)
    with pytest.raises(ValueError, match='not both'):
        make_toy_patterns(str(tmp_path / 'x'), num_classes=16,
                          families=BENCHMARK_FAMILIES)
    assert not osp.exists(tmp_path / 'x')


def test_classes_options_reach_every_head_label_check_and_dataset():
    from mmengine.config import Config
    from mmseg.registry import DATASETS, MODELS

    import mmseg_pseudoseg  # noqa: F401  (registration)
    assert arms.classes_options('pseudoseg', 8) == {}
    assert arms.classes_options('pseudoseg', None) == {}
    with pytest.raises(ValueError, match='not 12'):
        arms.classes_options('pseudoseg', 12)
    for name in arms.ARMS:
        opts = arms.classes_options(name, 16)
        cfg = Config.fromfile(arms.arm_config(name))
        for o in (arms.ARMS[name]['options'], opts):
            if o:
                cfg.merge_from_dict(o)
        # No 9 is left anywhere the runner builds from, every patterns
        # dataset is the variant's.
        text = json.dumps({k: cfg.get(k) for k in (
            'model', 'train_dataloader', 'val_dataloader',
            'test_dataloader', 'custom_hooks')})
        assert '"num_classes": 9' not in text, name
        assert '"ToyPatternsDataset"' not in text, name
        assert '"num_classes": 17' in text, name
        seg = cfg.model.get('segmentor', cfg.model)
        head = MODELS.build(seg.decode_head)
        assert head.conv_seg.out_channels == 17, name
        if cfg.model.get('sgc_head'):
            assert cfg.model.sgc_head.num_classes == 17
        val = cfg.val_dataloader.dataset
        assert len(DATASETS.get(val.type).METAINFO['classes']) == 17


def test_arms_and_regime_train_on_the_sixteen_class_set(tmp_path):
    # Two arms, one iteration each, on the variant: the label checks of
    # every pipeline pass with labels up to 16 only because the options
    # reach them (an eight-class config stops at the first such label).
    root = make_toy_patterns(str(tmp_path / 'data'), num_train=16,
                             num_val=4, split_seeds=(0, ), num_classes=16)
    jobs = arms.make_arm_jobs(['supervised', 'pseudoseg'], root, [2], [0],
                              1, str(tmp_path / 'work'), CKPT, 'sha',
                              num_classes=16)
    runs = []
    for job in jobs:
        assert job['cfg_options']['model.decode_head.num_classes' if
                                  job['kind'] == 'supervised' else
                                  'model.segmentor.decode_head.num_classes'
                                  ] == 17
        run = train_one(job)
        assert 0 <= run['miou'] <= 100, job['kind']
        runs.append(run)
    # The mechanism scores the PseudoSeg run's pseudo labels per class on
    # its own unlabeled images: it builds the model and the set from the
    # run's options (an eight-class model could not load the checkpoint),
    # so all sixteen classes, in the set's order, are in its table.
    results = tmp_path / 'runs.jsonl'
    results.write_text(''.join(json.dumps(r) + '\n' for r in runs))
    tool = _load_tool()
    mech = ['mechanism', '--results', str(results), '--arms', 'pseudoseg',
            '--max-images', '2', '--figures', str(tmp_path / 'fig.jsonl'),
            '--json']
    tool.main(mech + [str(tmp_path / 'mech.json')])

    def refuse(constant):  # one seed: its intervals are null, not NaN
        raise AssertionError(f'{constant} in the summary')
    row, = json.loads((tmp_path / 'mech.json').read_text(),
                      parse_constant=refuse)
    from mmseg_pseudoseg.datasets.toy_patterns import PATTERN16_CLASSES
    assert row['per_class']['classes'] == list(PATTERN16_CLASSES[1:])
    assert len(row['per_class']['fused_minus_decoder']) == 16
    # Its figures were kept (--figures): summarised again without the
    # checkpoint (a later session's), they give the same summary; figures
    # kept for another run of the key, or another image count, are refused.
    os.remove(runs[1]['checkpoint'])
    tool.main(mech + [str(tmp_path / 'again.json')])
    assert (tmp_path / 'again.json').read_text() == \
        (tmp_path / 'mech.json').read_text()
    with pytest.raises(SystemExit, match='checkpoints it names do not'):
        tool.main(mech[:-3] + ['--json', str(tmp_path / 'x.json')])
    with pytest.raises(SystemExit, match=r'another run or image count '
                       r'\(max_images differ\)'):
        tool.main(mech[:5] + ['--max-images', '3'] + mech[7:]
                  + [str(tmp_path / 'x.json')])
    with open(tmp_path / 'fig.jsonl', 'a') as f:  # a torn line
        f.write('{"key": \n')
    with pytest.raises(SystemExit, match=r'fig.jsonl:2: not a run record'):
        tool.main(mech + [str(tmp_path / 'x.json')])
    (tmp_path / 'fig.jsonl').write_text(
        (tmp_path / 'fig.jsonl').read_text().splitlines(True)[0])
    runs[1]['miou'] += 1
    results.write_text(''.join(json.dumps(r) + '\n' for r in runs))
    with pytest.raises(SystemExit, match=r'fig.jsonl: the figures of '
                       r'pseudoseg/1-2/seed0 are of another run .*miou'):
        tool.main(mech + [str(tmp_path / 'x.json')])
    plain = dict(jobs[0], cfg_options={
        k: v for k, v in jobs[0]['cfg_options'].items()
        if 'num_classes' not in k and not k.endswith('.type')},
        work_dir=str(tmp_path / 'plain'))
    with pytest.raises(ValueError, match=r'>= num_classes \(9\)'):
        train_one(plain)
    from mmseg_pseudoseg.benchmarks.regime import make_regime_jobs
    regime_jobs = make_regime_jobs(arms.arm_config('supervised'), CKPT,
                                   'sha', root, [0], 1, str(tmp_path / 'r'),
                                   num_classes=16)
    for job in regime_jobs:
        assert job['cfg_options']['val_dataloader.dataset.type'] == \
            'ToyPatterns16Dataset'
    with pytest.raises(ValueError, match='supervised arm'):
        make_regime_jobs(arms.arm_config('pseudoseg'), CKPT, 'sha', root,
                         [0], 1, str(tmp_path / 'r'), num_classes=16)
    # The tool: a set of the other class count is refused before any run,
    # naming the folder and --classes.
    for argv in (['arms', '--arms', 'supervised', '--fractions', '2'],
                 ['regime']):
        with pytest.raises(SystemExit, match='data: toy patterns set with '
                           '16 foreground classes, the run asks for 8 '
                           r'\(--classes\)'):
            tool.main(argv + ['--checkpoint', CKPT, '--data-root', root,
                              '--seeds', '0', '--iters', '1',
                              '--work-dir', str(tmp_path / 'w2')])
    assert not osp.exists(tmp_path / 'w2')
