"""Every shipped config: loads, names what it contains, builds shrunk, and
one config per setting trains a couple of iterations on a fake layout."""
import ast
import copy
import glob
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

import mmseg
from mmseg.registry import DATASETS, MODELS
from mmseg_pseudoseg.datasets import read_split, split_path
from mmseg_pseudoseg.utils.custom_data import set_crop_size
from .conftest import REPO

LEAVES = sorted(
    glob.glob(osp.join(REPO, 'configs/pseudoseg/*.py')) +
    glob.glob(osp.join(REPO, 'configs/supervised/*.py')))
SHRINK = Config.fromfile(osp.join(REPO, 'configs/_base_/toy_shapes.py'))
VOC_SPLITS = {  # leaf tag -> (shipped folder, labeled count)
    '92': ('voc12/92', 92),
    '183': ('voc12/183', 183),
    '366': ('voc12/366', 366),
    '732': ('voc12/732', 732),
    '1464': ('voc12/1464', 1464),
    'blended-1-16': ('voc12/1_16', 662),
    'blended-1-8': ('voc12/1_8', 1323),
    'blended-1-4': ('voc12/1_4', 2646),
    'u2pl-1-16': ('voc12/u2pl_1_16', 662),
    'u2pl-1-8': ('voc12/u2pl_1_8', 1323),
    'u2pl-1-4': ('voc12/u2pl_1_4', 2646),
}
SHORT = {  # short name -> leaf tag
    'voc_1-16': '92',
    'voc_1-8': '183',
    'voc_1-4': '366',
    'voc_1-2': '732',
    'voc_1464': '1464',
    'voc_blended_1-16': 'blended-1-16',
    'voc_blended_1-8': 'blended-1-8',
    'voc_blended_1-4': 'blended-1-4',
    'voc_u2pl_1-16': 'u2pl-1-16',
    'voc_u2pl_1-8': 'u2pl-1-8',
    'voc_u2pl_1-4': 'u2pl-1-4',
}
COCO = {512: 232, 256: 463, 128: 925, 64: 1849, 32: 3697}


def _alias_target(path):
    """The config a short name stands for (a file whose only statement is
    ``_base_ = './<full name>.py'``), or None."""
    tree = ast.parse(open(path).read())
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign) or \
            tree.body[0].targets[0].id != '_base_':
        return None
    return osp.join(osp.dirname(path), ast.literal_eval(tree.body[0].value))


def _is_alias(path):
    return _alias_target(path) is not None


# Full configs; the aliases are checked equal to them.
FULL = [p for p in LEAVES if not _is_alias(p)]


_LOADED = {}


def _load(path):
    """Config.fromfile, once per file per session (about a second each)."""
    path = osp.join(REPO, path)
    if path not in _LOADED:
        _LOADED[path] = Config.fromfile(path, format_python_code=False)
    return copy.deepcopy(_LOADED[path])


def _rel(path):
    return osp.relpath(path, REPO)


def _datasets(cfg):
    """The labeled and unlabeled dataset configs of a train dataloader."""
    ds = cfg.train_dataloader.dataset
    if ds.type == 'MixedDataset':
        return ds.labeled, ds.unlabeled
    return ds, None


def test_every_setting_and_split_has_its_configs():
    names = {_rel(p) for p in LEAVES}
    for tag in VOC_SPLITS:
        assert 'configs/pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-' \
            f'30k_voc12aug-{tag}-512x512.py' in names
        assert 'configs/supervised/deeplabv3plus_r101-d16_8xb8-30k_' \
            f'voc12aug-{tag}-512x512.py' in names
    for tag in ('92', '183', '366', '732', '1464'):  # later papers' stream
        assert 'configs/pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-' \
            f'30k_voc12aug-{tag}-disjoint-512x512.py' in names
    for den in COCO:
        for kind in ('pseudoseg', 'supervised'):
            assert f'configs/{kind}/coco_1-{den}.py' in names
    for short in ('voc_1-16', 'voc_1-8', 'voc_1-4', 'voc_1-2'):
        assert f'configs/pseudoseg/{short}_imglabels.py' in names
    for name in ('pseudoseg/toy.py', 'supervised/toy.py',
                 'pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb4-30k_'
                 'voc12aug-183-512x512.py',
                 'pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-amp-30k_'
                 'voc12aug-183-512x512.py',
                 'pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_'
                 'voc12aug-10582-coco-unlabeled-512x512.py',
                 'supervised/deeplabv3plus_r101-d16_8xb8-30k_voc12aug-'
                 '10582-512x512.py'):
        assert f'configs/{name}' in names


@pytest.mark.parametrize('short', sorted(SHORT))
@pytest.mark.parametrize('kind', ['pseudoseg', 'supervised'])
def test_short_names_stand_for_the_full_configs(kind, short):
    tag = SHORT[short]
    prefix = 'pseudoseg_' if kind == 'pseudoseg' else ''
    full = osp.join(REPO, f'configs/{kind}/{prefix}deeplabv3plus_r101-d16_'
                    f'8xb8-30k_voc12aug-{tag}-512x512.py')
    assert osp.samefile(
        _alias_target(osp.join(REPO, f'configs/{kind}/{short}.py')), full)


@pytest.mark.parametrize(
    'path', [p for p in LEAVES if _is_alias(p)], ids=_rel)
def test_every_short_name_is_its_full_config(path):
    target = _alias_target(path)
    assert not _is_alias(target)
    assert _load(path).to_dict() == _load(target).to_dict()


def _num_classes(cfg):
    """K of a config's data, from its labeled dataset's type."""
    labeled = _datasets(cfg)[0]
    if labeled.type == 'ConcatDataset':
        labeled = labeled.datasets[0]
    return dict(
        PascalVOCDataset=21, COCO81Dataset=81, ToyShapesDataset=4,
        ToyScenesDataset=3, ToyPatternsDataset=9)[labeled.type]


def _check_recipe(cfg, is_pseudoseg):
    """The release's recipe (spec Sec. 7) where a leaf does not vary it."""
    seg = cfg.model.segmentor if is_pseudoseg else cfg.model
    assert seg.backbone.depth == 101 and seg.backbone.strides[-2:] == (2, 1)
    assert seg.backbone.norm_cfg.type == 'BN'  # not synchronised
    assert seg.decode_head.dilations == (1, 6, 12, 18)
    assert cfg.optim_wrapper.optimizer.momentum == 0.9
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
    poly = cfg.param_scheduler[0]
    assert poly.type == 'PolyLR' and poly.power == 0.9 and poly.eta_min == 0
    assert poly.end == cfg.train_cfg.max_iters
    if is_pseudoseg:
        assert cfg.model.temperature == 0.5 and cfg.model.calibrate
        assert cfg.model.pseudo_src == 'fused'
        assert cfg.model.confidence_threshold == 0.0
        assert cfg.model.sgc_head.version == 'v2'
        assert cfg.model.sgc_head.in_index == [2, 3]
        assert cfg.custom_hooks[0].get('warmup_iters', 0) == 0


RELEASE_PARAMWISE = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    bias_lr_mult=2.0,
    dwconv_decay_mult=0.0,
    custom_keys={
        'sgc_head.query.weight': dict(decay_mult=0.0),
        'sgc_head.key.weight': dict(decay_mult=0.0),
        'sgc_head.conv_seg.weight': dict(decay_mult=0.0),
    })
STRONG_ORDER = [  # the release's: jitter the whole scaled image first
    ('StrongView', 'ColorJitter'),
    ('SameGeometry', 'RandomCrop'),
    ('StrongView', 'CutOut'),
]


def _check_release_details(cfg, is_pseudoseg):
    """Spec Sec. 10, in every config (toy ones included)."""
    from mmseg_pseudoseg.utils.config_checks import iter_typed
    losses = [
        node for _, node in iter_typed(cfg.model, 'model')
        if node['type'] == 'CrossEntropyLoss'
    ]
    assert losses and all(loss.avg_non_ignore for loss in losses)
    release = copy.deepcopy(RELEASE_PARAMWISE)
    if _datasets(cfg)[0].type == 'ToyPatternsDataset':
        # The label-limited benchmark's schedule: the pre-trained backbone
        # at 0.1x the heads' lr (docs/en/benchmarks/toy_patterns.md).
        release['custom_keys']['backbone'] = dict(lr_mult=0.1)
    assert cfg.optim_wrapper.paramwise_cfg == release
    if not is_pseudoseg:
        return
    assert losses[-1] == cfg.model.sgc_head.loss_decode
    norm = cfg.model.sgc_head.norm_cfg
    assert (norm.momentum, norm.eps) == (0.001, 1e-3)
    assert cfg.model.sgc_head.align_corners is True
    unlabeled = _datasets(cfg)[1]
    views = [(t.type, t.transforms[0].type) for t in unlabeled.pipeline
             if t.type in ('StrongView', 'SameGeometry')]
    assert views == STRONG_ORDER
    cutout = [t for t in unlabeled.pipeline if t.type == 'StrongView'][1]
    assert cutout.from_key == 'img_strong'


@pytest.mark.parametrize('path', FULL, ids=_rel)
def test_config_loads_follows_its_name_and_builds_shrunk(path):
    cfg = _load(path)
    assert cfg.custom_imports.imports == ['mmseg_pseudoseg']
    name = osp.basename(path)
    is_pseudoseg = '/pseudoseg/' in path
    assert cfg.model.type == ('PseudoSeg' if is_pseudoseg else
                              'EncoderDecoder')
    labeled, unlabeled = _datasets(cfg)
    num_classes = _num_classes(cfg)
    tag = re.search(
        r'voc12aug-([\w-]+?)(-disjoint)?(-imglabels)?-512x512', name)
    if tag and tag.group(1) in VOC_SPLITS:  # the split its name says
        folder, count = VOC_SPLITS[tag.group(1)]
        assert osp.normpath(labeled.ann_file) == split_path(
            f'{folder}/labeled.txt')
        assert len(read_split(labeled.ann_file)) == count
        if is_pseudoseg:
            # The release's unlabeled stream is all of train_aug; -disjoint
            # configs leave the labeled ids out.
            assert osp.normpath(unlabeled.ann_file) == split_path(
                f'{folder}/unlabeled.txt' if tag.group(2) else
                'voc12/train_aug.txt')
        blended = not folder[6:].isdigit()
        assert labeled.data_prefix.seg_map_path == (
            'SegmentationClassAug' if blended else 'SegmentationClass')
        assert cfg.model.get('cls_on_unlabeled', False) == bool(tag.group(3))
        if tag.group(3):  # image labels from each augmented crop
            assert unlabeled.data_prefix.seg_map_path == \
                'SegmentationClassAug'
            types = [t.type for t in unlabeled.pipeline]
            assert types.index('ImageLabelsFromSegMap') > \
                types.index('SameGeometry')
            assert 'LoadImageLevelLabels' not in types
    coco = re.search(r'coco81-(\d+)_all', name)
    if coco:
        den = int(coco.group(1))
        assert osp.normpath(labeled.ann_file) == split_path(
            f'coco/{den}_all.txt')
        assert len(read_split(labeled.ann_file)) == COCO[den]
        assert cfg.train_cfg.max_iters == 200000
        if is_pseudoseg:  # all of train2017, as the VOC stream
            assert unlabeled.ann_file == 'splits/train2017.txt'
    _check_release_details(cfg, is_pseudoseg)
    if 'toy' not in name:
        _check_recipe(cfg, is_pseudoseg)
        assert cfg.randomness.seed == 0
        per_gpu = 4 if '8xb4' in name else 8
        assert cfg.train_dataloader.batch_size == per_gpu
        assert cfg.optim_wrapper.optimizer.lr == 0.007 * per_gpu / 8
        assert ('Amp' in cfg.optim_wrapper.type) == ('-amp-' in name)
    # Every label validator agrees with the model's classes.
    for p in _validators(cfg):
        assert p.num_classes == num_classes
    model_cfg = copy.deepcopy(cfg.model)
    seg = model_cfg.segmentor if is_pseudoseg else model_cfg
    assert seg.decode_head.num_classes == num_classes
    inner = dict(SHRINK.toy_segmentor)
    for head in ('decode_head', 'auxiliary_head'):
        inner[head] = dict(inner[head], num_classes=num_classes)
    shrunk = Config(dict(model=model_cfg))
    if is_pseudoseg:
        assert model_cfg.sgc_head.num_classes == num_classes
        shrunk.merge_from_dict(
            dict(
                model=dict(
                    segmentor=inner, sgc_head=dict(in_channels=[64, 128]))))
    else:
        shrunk.merge_from_dict(dict(model=inner))
    model = MODELS.build(shrunk.model)
    model.eval()
    with torch.no_grad():
        out = model._forward(torch.rand(1, 3, 32, 32))
    assert out.shape[1] == num_classes


@pytest.mark.parametrize(
    'path', [p for p in FULL if not p.endswith('toy.py')], ids=_rel)
def test_config_datasets_build_on_a_fake_layout(path, tmp_path):
    # (The toy configs' data is built from the real toy set elsewhere.)
    cfg = _load(path)
    ids = _miniaturize(cfg, tmp_path, _num_classes(cfg))
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(train) >= 3 and len(val) == 3 and len(ids) >= 6
    item = train[0]
    if cfg.model.type == 'PseudoSeg':
        assert set(item['inputs']) == {'sup', 'weak', 'strong'}
        assert 'cutout_box' in item['data_samples']['strong'].metainfo
    assert val[0]['data_samples'].gt_sem_seg.data.max() < 256


def _validators(cfg):
    """The ValidateSegMap of every pipeline; each pipeline that loads labels
    must validate them right after loading."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            pipeline = node.get('pipeline')
            if isinstance(pipeline, (list, tuple)):
                types = [t.get('type') for t in pipeline]
                if 'LoadAnnotations' in types:
                    at = types.index('LoadAnnotations')
                    assert types[at + 1:at + 2] == ['ValidateSegMap'], types
                    found.append(pipeline[at + 1])
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        walk(cfg[name])
    assert found, 'every config validates the labels it loads'
    return found


# ----------------------------------------------------------------------
# A couple of iterations per setting, on a fake layout the test writes.
def _write_sample(root, img_dir, seg_dir, sample_id, num_classes, rng):
    img = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    path = osp.join(root, img_dir, sample_id + '.jpg')
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(img).save(path)
    if seg_dir is not None:
        seg = rng.integers(0, num_classes, (40, 48)).astype(np.uint8)
        seg[0] = 255
        path = osp.join(root, seg_dir, sample_id + '.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(seg).save(path)


def _miniaturize(cfg, tmp_path, num_classes):
    """Point every dataset at a fake root holding 3 of its listed ids (the
    shipped lists' own first ids), written on the fly."""
    rng = np.random.default_rng(0)
    lists = tmp_path / 'lists'
    lists.mkdir(exist_ok=True)
    ids_seen = []

    def fix(ds):
        if ds.get('type') == 'ConcatDataset':
            for d in ds.datasets:
                fix(d)
            return
        root = str(tmp_path / osp.basename(ds.data_root))
        ann = ds.ann_file
        if not osp.isabs(ann):  # a converter-written list: fake ids
            ids = [f'train2017/{i:012d}' for i in range(3)]
        else:
            ids = read_split(ann)[:3]
        prefix = ds.data_prefix
        for sample_id in ids:
            _write_sample(root, prefix.img_path, prefix.get('seg_map_path'),
                          sample_id, num_classes, rng)
        ids_seen.extend(ids)
        listed = lists / f'{len(list(lists.iterdir()))}.txt'
        listed.write_text(''.join(f'{i}\n' for i in ids))
        ds.data_root, ds.ann_file = root, str(listed)
        for t in ds.pipeline:
            if t.type == 'LoadImageLevelLabels':
                labels = tmp_path / 'image_labels.txt'
                labels.write_text(''.join(
                    f'{i} 1 {num_classes - 1}\n' for i in ids))
                t.label_file = str(labels)

    labeled, unlabeled = _datasets(cfg)
    for ds in (labeled, unlabeled, cfg.val_dataloader.dataset):
        if ds is not None:
            fix(ds)
    return ids_seen


SETTINGS = {
    'voc-semi': 'configs/pseudoseg/voc_1-8.py',
    'voc-supervised': 'configs/supervised/voc_1-8.py',
    'voc-imglabels': 'configs/pseudoseg/voc_1-8_imglabels.py',
    'coco-semi': 'configs/pseudoseg/coco_1-512.py',
    'high-data': 'configs/pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-'
    '30k_voc12aug-10582-coco-unlabeled-512x512.py',
    'voc-unimatch': 'configs/unimatch/voc_92.py',
    'voc-fixmatch': 'configs/fixmatch/voc_92.py',
}


SHIPPED = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p and '/examples/' not in p)


def test_every_shipped_config_passes_the_check_train_runs_first():
    # ConfigCheckHook runs check_config before any step of tools/train.py
    # and tools/test.py; a shipped config that fails it cannot train (the
    # UniMatch/FixMatch VOC configs padded to 512 with a 321 crop). The
    # fake-layout trainings below set one crop everywhere, which hid that.
    # (configs/examples need mmpretrain: tests/test_backbones.py.)
    from mmseg_pseudoseg.utils.config_checks import check_config
    assert len(SHIPPED) > 60
    bad = {}
    for path in SHIPPED:
        problems = check_config(Config.fromfile(path))
        if problems:
            bad[osp.relpath(path, REPO)] = problems[0].splitlines()[0]
    assert not bad


@pytest.mark.parametrize('setting', sorted(SETTINGS))
def test_each_setting_trains_on_a_fake_layout(setting, tmp_path):
    cfg = _load(SETTINGS[setting])
    num_classes = _num_classes(cfg)
    _miniaturize(cfg, tmp_path, num_classes)
    inner = dict(SHRINK.toy_segmentor)
    for head in ('decode_head', 'auxiliary_head'):
        inner[head] = dict(inner[head], num_classes=num_classes)
    if cfg.model.type == 'PseudoSeg':
        cfg.merge_from_dict(
            dict(
                model=dict(
                    segmentor=inner, sgc_head=dict(in_channels=[64, 128]))))
    elif cfg.model.type == 'UniMatch':  # no auxiliary head, as released
        cfg.merge_from_dict(
            dict(model=dict(segmentor=dict(inner, auxiliary_head=None))))
    else:
        cfg.merge_from_dict(dict(model=inner))
    # The crop everywhere it is used (ConfigCheckHook checks they agree).
    set_crop_size(cfg, (32, 32))
    cfg.crop_size = (32, 32)
    labeled = _datasets(cfg)[0]
    cfg.data_root = labeled.get('data_root') or \
        labeled.datasets[0].data_root
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.batch_size = 2
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 'val/mIoU' in scalars
    assert 'train/loss' in scalars
    if cfg.model.type == 'UniMatch':
        views = ['strong1'] if setting == 'voc-fixmatch' else \
            ['strong1', 'strong2', 'fp']
        for view in views:
            assert f'train/unsup_loss_{view}' in scalars, view
        assert 'train/unsup_loss_strong2' not in scalars or \
            setting == 'voc-unimatch'
    if cfg.model.type == 'PseudoSeg':
        assert 'train/unsup_loss_ce' in scalars
        key = 'train/unsup_sgc.loss_cls' if setting == 'voc-imglabels' \
            else 'train/sup_sgc.loss_cls'
        assert key in scalars


def test_readme_and_docs_config_and_tool_paths_exist():
    pattern = r'(?:configs|tools)/[\w./-]+\.(?:py|sh)'
    pages = [osp.join(REPO, 'README.md')] + glob.glob(
        osp.join(REPO, 'docs', '**', '*.md'), recursive=True)
    named = {}  # path -> the page naming it
    for page in pages:
        for path in re.findall(pattern, open(page).read()):
            named.setdefault(path, osp.relpath(page, REPO))
    # The config table and the quick start.
    assert sum(page == 'README.md' for page in named.values()) >= 10
    # mmseg's own tools (3_inference.md) ship in its wheel under .mim/.
    mim = osp.join(osp.dirname(mmseg.__file__), '.mim')
    missing = {p: page for p, page in named.items()
               if not osp.isfile(osp.join(REPO, p))
               and not osp.isfile(osp.join(mim, p))}
    assert not missing, missing


@pytest.mark.parametrize('path', [
    'configs/pseudoseg/toy.py', 'configs/pseudoseg/voc_1-8.py',
    'configs/unimatch/voc_92.py', 'configs/pseudoseg/toy-patterns.py'
])
def test_unformatted_config_dump_loads_back_the_same(path, tmp_path):
    # The tests leave mmengine's yapf formatting of config dumps out
    # (conftest._skip_yapf_formatting, also in their subprocesses): the
    # dump must still be the same config.
    import mmengine.config.config as cfg_module
    code = 'a = dict(b=1)'
    assert cfg_module.FormatCode(code) == (code, False)
    cfg = Config.fromfile(osp.join(REPO, path))
    out = tmp_path / 'dump.py'
    cfg.dump(str(out))
    assert Config.fromfile(str(out)).to_dict() == cfg.to_dict()


def test_subprocesses_leave_config_dumps_unformatted_too():
    # The Python processes the tests start get the same speed-up (through
    # tests/_subprocess_speedups/sitecustomize.py on PYTHONPATH).
    import subprocess
    import sys
    check = subprocess.run(
        [sys.executable, '-c', 'import mmengine.config.config as c; '
         'print(c.FormatCode("x=1")[0])'],
        capture_output=True, text=True, check=True)
    assert check.stdout.strip() == 'x=1'
