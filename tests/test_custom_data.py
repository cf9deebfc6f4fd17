"""Own data set once (configs/examples/custom_example.py), and the config
check that refuses mismatched classes, crops and top-level variables."""
import copy
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from mmseg_pseudoseg.datasets import make_toy_dataset
from mmseg_pseudoseg.engine.hooks import ConfigCheckHook
from mmseg_pseudoseg.utils.config_checks import (check_config,
                                                 iter_all_datasets,
                                                 iter_heads, iter_transforms)
from mmseg_pseudoseg.utils.custom_data import custom_data, set_crop_size
from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg

EXAMPLE = osp.join(REPO, 'configs/examples/custom_example.py')
PRIMITIVE = osp.join(
    REPO, 'configs/pseudoseg/voc_1-8.py')
SHRINK = Config.fromfile(osp.join(REPO, 'configs/_base_/toy_shapes.py'))
CLASSES = ('background', 'building', 'road')


@pytest.fixture(scope='module')
def three_class_root(tmp_path_factory):
    """A 3-class set in VOC layout: the toy set with discs and squares
    relabelled 1 and triangles 2 (255 kept), L-mode label PNGs."""
    root = str(tmp_path_factory.mktemp('three_classes'))
    make_toy_dataset(root, num_train=16, num_val=4, seed=1)
    folder = osp.join(root, 'SegmentationClass')
    lut = np.arange(256, dtype=np.uint8)
    lut[[1, 2, 3]] = [1, 1, 2]
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        Image.fromarray(lut[np.array(Image.open(path))]).save(path)
    return root


def _example_copy(tmp_path, data_root, crop='(64, 64)'):
    """The example as a user edits it: one line each for data root and
    crop (the _base_ path made absolute, the copy lives elsewhere)."""
    text = open(EXAMPLE).read()
    for old, new in (("data_root = 'data/my_dataset'",
                      f'data_root = {data_root!r}'),
                     ('crop_size = (256, 256)', f'crop_size = {crop}')):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text = text.replace("'../_base_/", f"'{REPO}/configs/_base_/")
    path = tmp_path / 'my_config.py'
    path.write_text(text)
    return str(path)


def unformatted(cfg):
    """The same config, its text not formatted by yapf (a Runner formats it
    four times, about 2 s each here)."""
    return Config(
        cfg.to_dict(), filename=cfg.filename, format_python_code=False)


def _shrink(cfg):
    """The toy model's sizes, the example's classes and crop kept."""
    inner = copy.deepcopy(SHRINK.toy_segmentor.to_dict())
    del inner['data_preprocessor']
    for head in ('decode_head', 'auxiliary_head'):
        del inner[head]['num_classes']
    cfg.merge_from_dict(
        dict(
            model=dict(segmentor=inner,
                       sgc_head=dict(in_channels=[64, 128]))))
    return unformatted(cfg)


def test_example_sets_each_value_once(tmp_path):
    cfg = Config.fromfile(_example_copy(tmp_path, '/data/mine'))
    datasets = dict(iter_all_datasets(cfg))
    assert sorted(datasets) == [
        'test_dataloader.dataset', 'train_dataloader.dataset.labeled',
        'train_dataloader.dataset.unlabeled', 'val_dataloader.dataset'
    ]
    for dataset in datasets.values():
        assert dataset.data_root == '/data/mine'
        assert dataset.type == 'BaseSegDataset'
        assert tuple(dataset.metainfo.classes) == CLASSES
    assert datasets['train_dataloader.dataset.unlabeled'].ann_file == \
        'splits/1-8/unlabeled.txt'
    heads = dict(iter_heads(cfg.model))
    assert sorted(heads) == [
        'model.segmentor.auxiliary_head', 'model.segmentor.decode_head',
        'model.sgc_head'
    ]
    assert {h.num_classes for h in heads.values()} == {3}
    validators = [
        t for _, t in iter_transforms(cfg) if t.type == 'ValidateSegMap'
    ]
    assert len(validators) == 3  # labeled, val, test
    assert {t.num_classes for t in validators} == {3}
    assert cfg.model.segmentor.data_preprocessor.size == (64, 64)
    cutout, = [t for _, t in iter_transforms(cfg) if t.type == 'CutOut']
    assert cutout.pad_to == (64, 64)
    assert cutout.size == (12, 12)  # 100 px per 512 of the primitive's crop
    types = [h.type for h in cfg.custom_hooks]
    assert types == [
        'PseudoLabelFusionHook', 'PseudoLabelVisualizationHook',
        'ConfigCheckHook', 'NonFiniteGuardHook', 'RNGStateHook'
    ]
    assert check_config(cfg) == []


def test_example_trains_on_a_three_class_set(three_class_root, tmp_path):
    path = _example_copy(tmp_path, three_class_root)
    cfg = _shrink(toy_cfg(path, three_class_root, tmp_path / 'work', 3))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 3
    assert runner.model.segmentor.decode_head.conv_seg.out_channels == 3
    assert runner.model.sgc_head.classifier.out_features == 2
    assert runner.val_evaluator.dataset_meta['classes'] == CLASSES
    assert 'val/mIoU' in runner.message_hub.log_scalars
    assert osp.isfile(tmp_path / 'work' / 'iter_3.pth')


def test_mismatched_heads_fail_before_training(three_class_root, tmp_path):
    # A 4-class model on the 3-class set: builds, but must not train.
    path = _example_copy(tmp_path, three_class_root)
    cfg = _shrink(toy_cfg(path, three_class_root, tmp_path / 'work', 3))
    for _, head in iter_heads(cfg.model):
        head.num_classes = 4
    cfg.train_dataloader.dataset.unlabeled.pipeline.insert(
        1, dict(type='LoadAnnotations'))
    cfg.train_dataloader.dataset.unlabeled.pipeline.insert(
        2, dict(type='ValidateSegMap', num_classes=5))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError) as error:
        runner.train()
    message = str(error.value)
    assert f'config {path} is inconsistent' in message
    assert 'train_dataloader.dataset.labeled (metainfo.classes: 3 classes)' \
        in message
    assert '4: model.segmentor.decode_head.num_classes, ' \
        'model.segmentor.auxiliary_head.num_classes, model.sgc_head.' \
        'num_classes' in message
    assert '5: train_dataloader.dataset.unlabeled.pipeline[2].num_classes ' \
        '(ValidateSegMap)' in message
    assert runner.iter == 0
    assert not [f for f in os.listdir(tmp_path / 'work') if f.endswith('.pth')]


def _child_of_toy(tmp_path, body):
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = {PSEUDOSEG_TOY!r}\n{body}')
    return Config.fromfile(str(path))


def test_top_level_redefinition_is_caught(tmp_path):
    # The trap: these lines change the variables, not the base's dicts.
    cfg = _child_of_toy(
        tmp_path, "num_classes = 3\ncrop_size = (48, 48)\n"
        "data_root = 'data/mine'\n")
    problems = check_config(cfg)
    assert len(problems) == 3
    assert '3: num_classes (top level)' in problems[0]
    assert "4: train_dataloader.dataset.labeled (ToyShapesDataset.METAINFO" \
        in problems[0]
    assert '(48, 48): crop_size (top level)' in problems[1]
    assert '(64, 64): model.segmentor.data_preprocessor.size' in problems[1]
    assert "data_root = 'data/mine' at the top level" in problems[2]
    assert "train_dataloader.dataset.labeled.data_root = 'data/toy_shapes'" \
        in problems[2]
    for problem in problems:
        assert "resolves a _base_ file's variables" in problem
    assert check_config(cfg, top_level_keys=()) == []
    # The toy leaves' own top-level variables, set to what they use.
    fixed = _child_of_toy(
        tmp_path, 'num_classes = _base_.toy_num_classes\n'
        'crop_size = _base_.toy_crop_size\n'
        'data_root = _base_.toy_data_root\n')
    assert check_config(fixed) == []


def test_crop_mismatch_names_the_keys():
    cfg = Config.fromfile(PSEUDOSEG_TOY)
    unlabeled = cfg.train_dataloader.dataset.unlabeled.pipeline
    unlabeled[-2].transforms[0].pad_to = (80, 80)  # the CutOut step
    problem, = check_config(cfg, top_level_keys=())
    assert problem.startswith('The crop size disagrees:')
    assert '(80, 80): train_dataloader.dataset.unlabeled.pipeline[6].' \
        'transforms[0].pad_to' in problem


def test_set_crop_size_and_custom_data_arguments():
    cfg = Config.fromfile(PRIMITIVE)
    changed = set_crop_size(cfg, (321, 321))
    assert 'model.segmentor.data_preprocessor.size' in changed
    assert len(changed) == 5  # size, 2 RandomCrop, CutOut size and pad_to
    cutout, = [t for _, t in iter_transforms(cfg) if t.type == 'CutOut']
    assert cutout.size == (63, 63) and cutout.pad_to == (321, 321)
    with pytest.raises(ValueError, match=r'crop_size must be \(H, W\)'):
        set_crop_size(cfg, (0, 3))
    base = Config.fromfile(PRIMITIVE)
    with pytest.raises(ValueError, match='palette has 2 colours for 3'):
        custom_data(base, 'x', CLASSES, palette=[[0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match='at least one class'):
        custom_data(base, 'x', ('background', ))
    with pytest.raises(ValueError, match='top_level_keys'):
        ConfigCheckHook(top_level_keys=('work_dir', ))
