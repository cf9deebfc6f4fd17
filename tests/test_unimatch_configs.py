"""The UniMatch and FixMatch configs: load, follow their names and the
release's recipe, build shrunk; the toy configs train from tools/train.py
(UniMatch) and a Runner (FixMatch); a VOC config's data builds on a fake
layout."""
import copy
import glob
import math
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import DATASETS, MODELS
from mmseg_pseudoseg.datasets import read_split, split_path
from .conftest import REPO, toy_cfg
from .test_configs import SHRINK, _alias_target, _load, _miniaturize
from .test_tools import _run

METHODS = ('unimatch', 'fixmatch')
LEAVES = sorted(p for m in METHODS
                for p in glob.glob(osp.join(REPO, f'configs/{m}/*.py')))
FULL = [p for p in LEAVES if _alias_target(p) is None]
SPLITS = (92, 183, 366, 732, 1464)


def _rel(path):
    return osp.relpath(path, REPO)


def _shrunk_segmentor(num_classes):
    inner = dict(SHRINK.toy_segmentor, auxiliary_head=None)
    inner['decode_head'] = dict(
        inner['decode_head'], num_classes=num_classes, align_corners=True)
    return inner


def test_every_split_has_its_configs_and_short_names():
    names = {_rel(p) for p in LEAVES}
    for method in METHODS:
        assert f'configs/{method}/toy.py' in names
        for n in SPLITS:
            unlabeled = len(read_split(split_path(f'voc12/{n}/unlabeled.txt')))
            # 80 epochs of the unlabeled list at 4 GPUs x 2 images, as the
            # release's DistributedSampler + drop_last count them.
            iters = 80 * (math.ceil(unlabeled / 4) // 2)
            full = (f'configs/{method}/{method}_deeplabv3plus_r101-d16_4xb4-'
                    f'{round(iters / 1000)}k_voc12aug-{n}-321x321.py')
            assert full in names
            short = osp.join(REPO, f'configs/{method}/voc_{n}.py')
            assert osp.samefile(_alias_target(short), osp.join(REPO, full))
            if method == 'unimatch':
                assert _load(full).train_cfg.max_iters == iters


@pytest.mark.parametrize('path', FULL, ids=_rel)
def test_config_follows_the_release_and_builds_shrunk(path):
    cfg = _load(path)
    model = cfg.model
    assert cfg.custom_imports.imports == ['mmseg_pseudoseg']
    assert model.type == 'UniMatch' and model.conf_thresh == 0.95
    assert model.sup_weight == 0.5
    views = 2 if '/unimatch/' in path else 1
    if views == 2:  # (loss_x + 0.25 s1 + 0.25 s2 + 0.5 fp) / 2
        assert model.strong_weights == (0.125, 0.125)
        assert (model.fp_weight, model.fp_dropout) == (0.25, 0.5)
    else:  # (loss_x + loss_s) / 2
        assert model.strong_weights == (0.5, ) and model.fp_weight == 0
    seg = model.segmentor
    assert seg.auxiliary_head is None
    assert seg.decode_head.align_corners is True
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'MixedDataset' and ds.with_mix
    packs = [t for t in ds.unlabeled.pipeline
             if t.type == 'PackMultiViewSegInputs']
    views_packed = packs[0].get('views', dict(strong1=1, strong2=2))
    assert len([v for v in views_packed if v.startswith('strong')]) == views
    tag = re.search(r'voc12aug-(\d+)-321x321', path)
    if tag:
        folder = f'voc12/{tag.group(1)}'
        assert osp.normpath(ds.labeled.ann_file) == split_path(
            f'{folder}/labeled.txt')
        # The release's unlabeled stream: labeled ids excluded.
        assert osp.normpath(ds.unlabeled.ann_file) == split_path(
            f'{folder}/unlabeled.txt')
        assert seg.backbone.depth == 101
        assert seg.backbone.dilations == (1, 1, 1, 2)  # output stride 16
        assert seg.backbone.norm_cfg.type == 'SyncBN'
        assert seg.decode_head.dilations == (1, 6, 12, 18)
        assert cfg.train_dataloader.batch_size == 2
        assert cfg.crop_size == (321, 321)
        # Images pad to the crop, not to the R101 base's 512 (it did: the
        # config check stopped tools/train.py before the first step).
        assert seg.data_preprocessor.size == (321, 321)
        optim = cfg.optim_wrapper
        assert (optim.optimizer.lr, optim.optimizer.momentum,
                optim.optimizer.weight_decay) == (0.001, 0.9, 1e-4)
        assert optim.paramwise_cfg.custom_keys == {
            'decode_head': dict(lr_mult=10.0)
        }
        poly = cfg.param_scheduler[0]
        assert poly.power == 0.9 and poly.end == cfg.train_cfg.max_iters
    shrunk = Config(dict(model=copy.deepcopy(model)))
    shrunk.merge_from_dict(
        dict(model=dict(segmentor=_shrunk_segmentor(
            seg.decode_head.num_classes))))
    built = MODELS.build(shrunk.model).eval()
    with torch.no_grad():
        out = built._forward(torch.rand(1, 3, 32, 32))
    assert out.shape[1] == seg.decode_head.num_classes


def test_voc_config_data_builds_on_a_fake_layout(tmp_path):
    # (Training itself is covered by the toy configs, same model code.)
    cfg = _load('configs/fixmatch/voc_92.py')
    _miniaturize(cfg, tmp_path, 21)
    item = DATASETS.build(cfg.train_dataloader.dataset)[0]
    assert set(item['inputs']) == {
        'sup', 'weak', 'strong1', 'mix_weak', 'mix_strong1'
    }
    for view in ('weak', 'strong1', 'mix_weak'):
        assert item['inputs'][view].shape[1:] == item['inputs']['sup'].shape[
            1:] == (321, 321)
    assert 'cutmix_box' in item['data_samples']['strong1'].metainfo


def test_unimatch_toy_trains_from_tools(toy_root, tmp_path):
    cfg = toy_cfg(f'{REPO}/configs/unimatch/toy.py', toy_root,
                  tmp_path / 'work', max_iters=2)
    cfg.log_level = 'INFO'
    path = str(tmp_path / 'unimatch_toy.py')
    cfg.dump(path)
    work = str(tmp_path / 'cli')
    log = _run([sys.executable, 'tools/train.py', path, '--work-dir', work])
    assert 'pseudo labels: mean_conf=' in log and 'unsup_loss_fp' in log
    assert 'mIoU' in log and osp.isfile(osp.join(work, 'iter_2.pth'))


def test_fixmatch_toy_trains(toy_root, tmp_path):
    cfg = toy_cfg(f'{REPO}/configs/fixmatch/toy.py', toy_root, tmp_path,
                  max_iters=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 'train/unsup_loss_strong1' in scalars
    assert 'train/unsup_loss_strong2' not in scalars
    assert 'train/unsup_loss_fp' not in scalars
    assert 'val/mIoU' in scalars
    # Per-class quality of the hard pseudo labels (the toy unlabeled images
    # carry labels for diagnostics).
    assert 0 <= scalars['train/pl_miou_pseudo'].current() <= 1
    assert 'train/pl_miou_sgc' not in scalars
