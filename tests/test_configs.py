import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from .conftest import REPO

LEAVES = sorted(
    glob.glob(osp.join(REPO, 'configs/pseudoseg/*.py')) +
    glob.glob(osp.join(REPO, 'configs/supervised/*.py')))
SHRINK = Config.fromfile(osp.join(REPO, 'configs/_base_/toy_shapes.py'))


def test_all_expected_configs_exist():
    names = {osp.relpath(p, REPO) for p in LEAVES}
    for kind in ('pseudoseg', 'supervised'):
        for split in ('1-16', '1-8', '1-4', '1-2'):
            assert f'configs/{kind}/voc_{split}.py' in names
        assert f'configs/{kind}/toy.py' in names


@pytest.mark.parametrize('path', LEAVES, ids=lambda p: osp.relpath(p, REPO))
def test_config_loads_and_builds_shrunk(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['mmseg_pseudoseg']
    name = osp.basename(path)
    split = re.match(r'voc_(1-\d+)\.py', name)
    dataset = cfg.train_dataloader.dataset
    is_pseudoseg = '/pseudoseg/' in path
    assert cfg.model.type == ('PseudoSeg' if is_pseudoseg else
                              'EncoderDecoder')
    if split:  # the leaf uses the split its name says
        ann = dataset.labeled.ann_file if is_pseudoseg else dataset.ann_file
        assert ann == f'splits/{split.group(1)}/labeled.txt'
        if is_pseudoseg:
            assert dataset.unlabeled.ann_file == \
                f'splits/{split.group(1)}/unlabeled.txt'
    num_classes = 21 if split else 4
    shrunk = Config(dict(model=cfg.model))
    inner = dict(SHRINK.toy_segmentor)
    inner['decode_head'] = dict(inner['decode_head'], num_classes=num_classes)
    inner['auxiliary_head'] = dict(
        inner['auxiliary_head'], num_classes=num_classes)
    if is_pseudoseg:
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


def test_readme_config_and_tool_paths_exist():
    readme = open(osp.join(REPO, 'README.md')).read()
    paths = set(re.findall(r'(?:configs|tools)/[\w./-]+\.(?:py|sh)', readme))
    assert len(paths) >= 10
    missing = [p for p in paths if not osp.isfile(osp.join(REPO, p))]
    assert not missing, missing
