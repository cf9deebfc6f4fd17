"""The label-limited benchmark: the toy patterns set, the backbone's
pre-training tool, the configs' checkpoint check and the regime summary."""
import hashlib
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.registry import MODELS
from mmseg_pseudoseg.datasets import make_toy_patterns, make_toy_scenes
from mmseg_pseudoseg.datasets.pattern_families import (BENCHMARK_FAMILIES,
                                                       PRETRAIN_FAMILIES)
from mmseg_pseudoseg.datasets.toy_patterns import (PATTERN_CLASSES,
                                                   draw_pattern_scene)
from mmseg_pseudoseg.engine.hooks import check_pretrained
from mmseg_pseudoseg.benchmarks import regime
from mmseg_pseudoseg.benchmarks.curve import run_key
from .conftest import REPO

PATTERNS = dict(
    pseudoseg=osp.join(REPO, 'configs/pseudoseg/toy-patterns.py'),
    supervised=osp.join(REPO, 'configs/supervised/toy-patterns.py'))


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


# ----------------------------------------------------------------------
# The set.
def test_scenes_labels_unchanged_by_the_shared_helpers(tmp_path):
    # The scenes set's label maps and split lists as they were before its
    # drawing code was shared with the patterns set (decoded, so the pin
    # holds across PNG encoders).
    root = make_toy_scenes(str(tmp_path), num_train=16, num_val=4,
                           split_seeds=(0, 1))
    digest = hashlib.sha256()
    for split, n in (('train', 16), ('val', 4)):
        for i in range(n):
            seg = Image.open(f'{root}/SegmentationClass/{split}_{i:04d}.png')
            digest.update(np.asarray(seg).tobytes())
    for name in ('splits/seed1/1-8/labeled.txt', 'splits/1-16/labeled.txt'):
        digest.update(_read(osp.join(root, name)))
    assert digest.hexdigest() == (
        'b1cf3433be7df1fd79f6dad84a77175cbeb3f0811116d027daeea2e11099a2e8')


def test_patterns_set_is_deterministic_with_vocish_image_labels(tmp_path):
    a = make_toy_patterns(str(tmp_path / 'a'), num_train=16, num_val=4,
                          split_seeds=(0, 1))
    b = make_toy_patterns(str(tmp_path / 'b'), num_train=16, num_val=4,
                          split_seeds=(0, 1))
    c = make_toy_patterns(str(tmp_path / 'c'), num_train=16, num_val=4,
                          split_seeds=(0, ), seed=1)
    for name in ('JPEGImages/train_0003.jpg', 'SegmentationClass/val_0001.png',
                 'splits/seed1/1-8/labeled.txt'):
        assert _read(osp.join(a, name)) == _read(osp.join(b, name))
    assert _read(osp.join(a, 'JPEGImages/train_0003.jpg')) != _read(
        osp.join(c, 'JPEGImages/train_0003.jpg'))
    for n, count in ((16, 1), (8, 2), (4, 4), (2, 8)):
        for s in (0, 1):
            lab = _read(osp.join(a, f'splits/seed{s}/1-{n}/labeled.txt'))
            assert len(lab.split()) == count
    seg = np.asarray(Image.open(osp.join(a, 'SegmentationClass/'
                                         'train_0000.png')))
    assert set(np.unique(seg)) <= set(range(9)) | {255}


def test_patterns_stamp_names_the_version_and_refuses_variants(tmp_path):
    from mmseg_pseudoseg.datasets import check_toy_patterns
    a = make_toy_patterns(str(tmp_path / 'a'), num_train=16, num_val=2,
                          split_seeds=(0, ))
    assert check_toy_patterns(a)['version'] == 2
    v = make_toy_patterns(str(tmp_path / 'v'), num_train=16, num_val=2,
                          split_seeds=(0, ), radius=(6, 18))
    assert _read(osp.join(a, 'SegmentationClass/train_0001.png')) != _read(
        osp.join(v, 'SegmentationClass/train_0001.png'))
    with pytest.raises(ValueError, match=r"variant .*'radius': \[6, 18\]"):
        check_toy_patterns(v)
    with pytest.raises(ValueError, match='version 1'):
        check_toy_patterns(str(tmp_path))  # no stamp: written before it


def test_version2_label_maps_are_pinned():
    # What the regime check and the arms were measured on; a change to the
    # drawing must come with a new SET_VERSION.
    from mmseg_pseudoseg.datasets.toy_patterns import SET_VERSION
    rng, digest = np.random.default_rng(0), hashlib.sha256()
    for _ in range(6):
        digest.update(draw_pattern_scene(rng, (64, 80))[1].tobytes())
    assert SET_VERSION == 2 and digest.hexdigest() == (
        'e6506b9b005d9fa1a5a7e22e6e0afffb032903aed71bc79755c566b20d9cf1ed')


def test_version1_of_the_set_is_drawn_again_by_its_arguments():
    # The label maps version 1 drew (at 7fa3374, before version 2), so the
    # probes that chose version 2 can be repeated
    # (docs/en/benchmarks/toy_patterns.md).
    from mmseg_pseudoseg.datasets.pattern_families import VERSION1_FAMILIES
    rng, digest = np.random.default_rng(0), hashlib.sha256()
    for _ in range(6):
        _, seg = draw_pattern_scene(
            rng, (64, 80), families=VERSION1_FAMILIES,
            objects_per_class=(1, 2), radius=(6, 18), period=(3.5, 10.0),
            contrast=(0.3, 1.5))
        digest.update(seg.tobytes())
    assert digest.hexdigest() == (
        'df762df00c4fa52d08974c52ae915f3c581d9fe7fa110d934a293c00684d5e1a')


def test_patterns_classes_per_image_and_frequency():
    # >= 8 classes disjoint from the pre-training ones; each image holds
    # 1-3; each class is in about a fifth of the images (VOC: most images
    # without most classes), none rare.
    assert len(PATTERN_CLASSES) - 1 >= 8
    assert not set(BENCHMARK_FAMILIES) & set(PRETRAIN_FAMILIES)
    rng = np.random.default_rng(0)
    present = np.zeros((300, len(PATTERN_CLASSES)), bool)
    for i in range(300):
        _, seg = draw_pattern_scene(rng, (64, 80))
        present[i, [c for c in np.unique(seg) if c != 255]] = True
    per_image = present[:, 1:].sum(1)
    assert per_image.min() >= 1 and per_image.max() <= 3
    assert set(np.bincount(per_image)[1:]) and all(
        np.bincount(per_image, minlength=4)[1:] > 60)
    freq = present[:, 1:].mean(0)
    assert freq.min() > 0.1 and freq.max() < 0.35, freq
    assert present[:, 0].all()  # background everywhere


# ----------------------------------------------------------------------
# Pre-training, loading, and the missing-checkpoint error.
def _tiny_pretrain(out):
    from mmseg_pseudoseg.benchmarks.pretrain import pretrain
    return pretrain(PATTERNS['supervised'], str(out), iters=3, batch=4,
                    num_train=8, num_val=4, seed=0, log=lambda m: None)


def _built(kind, **backbone):
    cfg = Config.fromfile(PATTERNS[kind])
    seg = cfg.model.get('segmentor', cfg.model)
    seg.backbone.update(backbone)
    return MODELS.build(cfg.model), seg


def test_pretrain_checkpoint_loads_exactly_into_both_configs(tmp_path):
    a = _tiny_pretrain(tmp_path / 'a' / 'backbone.pth')
    b = _tiny_pretrain(tmp_path / 'b' / 'backbone.pth')
    # Same seed, same bytes (the file name is in torch's archive, so the
    # same name); the .sha256 file says so.
    assert a['sha256'] == b['sha256']
    assert _read(a['path'] + '.sha256').decode().split()[0] == a['sha256']
    state = torch.load(a['path'], map_location='cpu')['state_dict']
    for kind in ('supervised', 'pseudoseg'):
        model, seg = _built(
            kind, init_cfg=dict(type='Pretrained', checkpoint=a['path']))
        backbone = getattr(model, 'segmentor', model).backbone
        assert set(backbone.state_dict()) == set(state)
        assert check_pretrained(model) == 1
        model.init_weights()
        for key, value in backbone.state_dict().items():
            assert torch.equal(value, state[key]), key
    # A checkpoint of another module is refused, not loaded partly.
    torch.save(dict(state_dict=dict(state, extra=torch.zeros(1))),
               tmp_path / 'other.pth')
    model, _ = _built('supervised', init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'other.pth')))
    with pytest.raises(KeyError, match='1 unexpected'):
        check_pretrained(model)


def test_pretrain_resumed_after_a_stop_gives_the_same_bytes(tmp_path):
    from mmseg_pseudoseg.benchmarks.pretrain import pretrain

    def run(out, snap, resume=False, stop_at=None, **kw):
        def log(msg):
            if stop_at and msg.startswith(f'iter {stop_at}/'):
                raise KeyboardInterrupt  # as a kill between snapshots
        kw = dict(dict(iters=6, batch=4, num_train=8, num_val=4), **kw)
        return pretrain(PATTERNS['supervised'], str(out), seed=0,
                        snapshot=str(snap), snapshot_interval=2,
                        resume=resume, log=log, **kw)

    whole = run(tmp_path / 'a' / 'backbone.pth', tmp_path / 'a.snap')
    assert whole['resumed_from'] == 0
    assert not (tmp_path / 'a.snap').exists()  # removed at the end
    out, snap = tmp_path / 'b' / 'backbone.pth', tmp_path / 'b.snap'
    with pytest.raises(KeyboardInterrupt):
        run(out, snap, stop_at=5)
    assert snap.exists() and not out.exists()
    assert torch.load(snap)['step'] == 4  # the last snapshot before 5
    # Other settings are refused, naming what differs.
    with pytest.raises(ValueError, match=r"lr=0\.1, asked 0\.2"):
        run(out, snap, resume=True, lr=0.2)
    resumed = run(out, snap, resume=True)
    assert resumed['resumed_from'] == 4
    assert resumed['sha256'] == whole['sha256']
    assert not snap.exists()
    # Without --resume a snapshot is not used: the run starts afresh.
    with pytest.raises(KeyboardInterrupt):
        run(out, snap, stop_at=3)
    assert run(out, snap)['resumed_from'] == 0


def test_missing_checkpoint_stops_the_run_naming_file_and_command(
        tmp_path):
    # The config's own hook, as the runner calls it in before_run (before
    # init_weights would load, or fail to load, the file).
    from types import SimpleNamespace

    from mmengine.logging import MMLogger
    from mmseg.registry import HOOKS
    for kind in ('supervised', 'pseudoseg'):
        cfg = Config.fromfile(PATTERNS[kind])
        seg = cfg.model.get('segmentor', cfg.model)
        assert seg.backbone.init_cfg.checkpoint == (
            cfg.toy_backbone_checkpoint)
        missing = str(tmp_path / 'nothing_here.pth')
        seg.backbone.init_cfg.checkpoint = missing
        hooks = [HOOKS.build(h) for h in cfg.custom_hooks
                 if h['type'] == 'PretrainedCheckHook']
        assert len(hooks) == 1
        runner = SimpleNamespace(model=MODELS.build(cfg.model),
                                 logger=MMLogger.get_current_instance())
        with pytest.raises(FileNotFoundError) as err:
            hooks[0].before_run(runner)
        assert missing in str(err.value)
        assert 'python tools/benchmark.py pretrain --out' in str(err.value)
        # Random init (the regime's control arm) has nothing to check.
        seg.backbone.init_cfg = None
        runner.model = MODELS.build(cfg.model)
        hooks[0].before_run(runner)


def test_pseudoseg_patterns_config_is_the_scenes_method_settings():
    ours = Config.fromfile(PATTERNS['pseudoseg']).model.to_dict()
    scenes = Config.fromfile(
        osp.join(REPO, 'configs/pseudoseg/toy-scenes.py')).model.to_dict()
    assert ours['segmentor']['backbone'].pop('init_cfg')['type'] == (
        'Pretrained')
    # The release's BN behaviour in both (the scenes config's toy-only
    # deviation is gone).
    assert ours['strong_updates_bn_stats'] is True
    for model in (ours, scenes):
        for head in ('decode_head', 'auxiliary_head'):
            model['segmentor'][head].pop('num_classes')
        model['sgc_head'].pop('num_classes')
        model['segmentor']['backbone'].pop('init_cfg', None)
    assert ours == scenes


# ----------------------------------------------------------------------
# The regime summary's arithmetic on hand-made results.
def _results(curve, random, seeds=(0, 1, 2)):
    """curve: denominator -> mIoU per seed; random: per seed at 1/16."""
    out = {}
    for n, values in curve.items():
        for s, v in zip(seeds, values):
            out[run_key('pretrained', n, s)] = dict(miou=v, seed=s)
    for s, v in zip(seeds, random):
        out[run_key('random', 16, s)] = dict(miou=v, seed=s)
    return out


def test_regime_summary_passes_a_rising_curve():
    results = _results({16: [60, 61, 62], 8: [64, 66, 65],
                        4: [68, 69, 70], 2: [72, 71, 74]}, [40, 45, 50])
    s = regime.summarise_regime(results, [0, 1, 2])
    # 1/2 - 1/16 per seed: 12, 10, 12 -> mean 11.33, sd 1.155,
    # t(0.975, 2) = 4.303: half width 4.303 * 1.155 / sqrt(3) = 2.87.
    assert s['gain']['mean'] == pytest.approx(34 / 3)
    assert s['gain']['half_width'] == pytest.approx(2.869, abs=1e-3)
    assert s['fractions'][4]['mean'] == pytest.approx(69)
    assert s['vs_random']['mean'] == pytest.approx(16)
    assert s['passed'] and all(s['checks'].values())
    assert 'regime check: PASSED' in regime.format_regime(s)


@pytest.mark.parametrize('curve,random,failed', [
    # 1/4 below 1/8 on average: not rising at every step.
    ({16: [60, 61, 62], 8: [70, 71, 72], 4: [68, 69, 70],
      2: [75, 74, 76]}, [40, 45, 50], 'rises at every step'),
    # Rising, but only +8 from 1/16 to 1/2.
    ({16: [60, 61, 62], 8: [62, 63, 64], 4: [65, 66, 67],
      2: [68, 69, 70]}, [40, 45, 50], '1/2 - 1/16 >= 10'),
    # +10 on average, but one seed lost: the interval reaches below 0.
    ({16: [60, 61, 62], 8: [64, 66, 65], 4: [68, 69, 70],
      2: [85, 82, 46]}, [40, 45, 50], '95% interval above 0'),
    # Random init as good at 1/16.
    ({16: [60, 61, 62], 8: [64, 66, 65], 4: [68, 69, 70],
      2: [72, 71, 74]}, [61, 60, 63], 'beats random init'),
])
def test_regime_summary_fails_each_criterion(curve, random, failed):
    s = regime.summarise_regime(_results(curve, random), [0, 1, 2])
    assert not s['passed']
    bad = [name for name, ok in s['checks'].items() if not ok]
    assert len(bad) == 1 and failed in bad[0], bad
    assert f'FAIL: {bad[0]}' in regime.format_regime(s)


def test_regime_summary_pairs_only_complete_seeds():
    results = _results({16: [60, 61, 62], 8: [64, 66, 65],
                        4: [68, 69, 70], 2: [72, 71, 74]}, [40, 45, 50])
    del results[run_key('random', 16, 2)]
    s = regime.summarise_regime(results, [0, 1, 2])
    assert s['seeds'] == [0, 1]
    assert s['fractions'][16]['miou'] == [60, 61]
    del results[run_key('pretrained', 8, 1)]
    with pytest.raises(ValueError, match='>= 2 seeds'):
        regime.summarise_regime(results, [0, 1, 2])


def test_regime_jobs_and_stale_results():
    jobs = regime.make_regime_jobs('cfg.py', '/ck.pth', 'abc', '/data',
                                   [0, 1], 100, '/work')
    assert len(jobs) == 2 * 5
    random = [j for j in jobs if j['kind'] == 'random']
    assert {j['denominator'] for j in random} == {16}
    assert all(j['cfg_options'] == {'model.backbone.init_cfg': None}
               for j in random)
    pre = [j for j in jobs if j['kind'] == 'pretrained']
    assert all(j['cfg_options']['model.backbone.init_cfg.checkpoint'] ==
               '/ck.pth' and j['checkpoint_sha256'] == 'abc' for j in pre)
    done = {pre[0]['key']: dict(pre[0], checkpoint_sha256='other'),
            pre[1]['key']: pre[1], random[0]['key']: random[0]}
    assert regime.stale_results(jobs, done) == [pre[0]['key']]
