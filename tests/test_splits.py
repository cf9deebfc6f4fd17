"""The shipped standard split lists: their invariants, how configs and a
non-editable install find them."""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from mmengine.config import Config

from mmseg.registry import DATASETS
from mmseg_pseudoseg.datasets import list_splits, read_split, split_path
from mmseg_pseudoseg.datasets.splits import SPLITS_ROOT
from mmseg_pseudoseg.utils.cli import load_cfg
from .conftest import REPO

VOC_1464_PROTOCOL = {92: 92, 183: 183, 366: 366, 732: 732, 1464: 1464}
VOC_BLENDED = {'1_16': 662, '1_8': 1323, '1_4': 2646}
PSEUDOSEG_RELEASE = {
    92: 'pseudoseg_16_clean_3',
    183: 'pseudoseg_8_clean',
    366: 'pseudoseg_4_clean'
}
COCO = {512: 232, 256: 463, 128: 925, 64: 1849, 32: 3697}
VOC_ID = re.compile(r'\d{4}_\d{6}')
COCO_ID = re.compile(r'train2017/\d{12}')


def _voc(name):
    return read_split(split_path(f'voc12/{name}'))


def _voc_split_dirs():
    return [str(n) for n in VOC_1464_PROTOCOL] + list(VOC_BLENDED) + [
        f'u2pl_{n}' for n in VOC_BLENDED
    ]


# The checks are plain functions so that test_checks_catch_corrupt_lists
# can show each of them failing on a damaged copy.
def check_no_duplicates(ids, name):
    seen = set()
    dups = [i for i in ids if i in seen or seen.add(i)]
    assert not dups, f'{name}: duplicate ids {dups[:5]}'


def check_partition(labeled, unlabeled, train_aug, name):
    overlap = set(labeled) & set(unlabeled)
    assert not overlap, f'{name}: labeled and unlabeled share {len(overlap)}'
    missing = set(train_aug) - set(labeled) - set(unlabeled)
    extra = (set(labeled) | set(unlabeled)) - set(train_aug)
    assert not missing and not extra, \
        f'{name}: {len(missing)} train_aug ids missing, {len(extra)} extra'


def check_count(ids, expected, name):
    assert len(ids) == expected, f'{name}: {len(ids)} ids, not {expected}'


def check_format(ids, pattern, name):
    bad = [i for i in ids if not pattern.fullmatch(i)]
    assert not bad, f'{name}: malformed ids {bad[:5]}'


def test_every_expected_list_ships():
    expected = {f'coco/{n}_all.txt' for n in COCO}
    expected |= {'voc12/train_aug.txt', 'voc12/val.txt'}
    expected |= {f'voc12/{n}.txt' for n in PSEUDOSEG_RELEASE.values()}
    expected |= {'voc12/pseudoseg_16_clean_14.txt',
                 'voc12/pseudoseg_16_clean_20.txt'}
    for d in _voc_split_dirs():
        expected |= {f'voc12/{d}/labeled.txt', f'voc12/{d}/unlabeled.txt'}
    assert set(list_splits()) == expected
    assert osp.isfile(osp.join(SPLITS_ROOT, 'README.md'))


@pytest.mark.parametrize('name', list_splits())
def test_no_duplicates_and_well_formed(name):
    ids = read_split(split_path(name))
    assert ids
    check_no_duplicates(ids, name)
    check_format(ids, COCO_ID if name.startswith('coco/') else VOC_ID, name)
    # read_split skips blank lines; the files have none, and no spaces.
    with open(split_path(name)) as f:
        assert f.read() == ''.join(f'{i}\n' for i in ids)


def test_voc_train_aug_and_val():
    train_aug, val = _voc('train_aug.txt'), _voc('val.txt')
    check_count(train_aug, 10582, 'train_aug')
    check_count(val, 1449, 'val')
    assert not set(train_aug) & set(val)


@pytest.mark.parametrize('split', _voc_split_dirs())
def test_voc_split_partitions_train_aug(split):
    labeled = _voc(f'{split}/labeled.txt')
    unlabeled = _voc(f'{split}/unlabeled.txt')
    n = VOC_BLENDED.get(split.replace('u2pl_', ''))
    check_count(labeled, n or VOC_1464_PROTOCOL.get(int(split)), split)
    check_partition(labeled, unlabeled, _voc('train_aug.txt'), split)


def test_voc_1464_protocol_lists():
    pool = set(_voc('1464/labeled.txt'))
    for n in VOC_1464_PROTOCOL:
        assert set(_voc(f'{n}/labeled.txt')) <= pool, n
    for n, release in PSEUDOSEG_RELEASE.items():
        # Same ids in the same order as the PseudoSeg release.
        assert _voc(f'{n}/labeled.txt') == _voc(f'{release}.txt'), n
    for draw in ('pseudoseg_16_clean_14', 'pseudoseg_16_clean_20'):
        ids = _voc(f'{draw}.txt')
        check_count(ids, 92, draw)
        assert set(ids) <= pool
    # Independent draws, not nested (README says so).
    assert not set(_voc('92/labeled.txt')) <= set(_voc('183/labeled.txt'))


def test_voc_blended_lists_nest_within_each_draw():
    for prefix in ('', 'u2pl_'):
        sets = [set(_voc(f'{prefix}{s}/labeled.txt')) for s in VOC_BLENDED]
        assert sets[0] < sets[1] < sets[2], prefix
    assert _voc('1_8/labeled.txt') != _voc('u2pl_1_8/labeled.txt')


def test_coco_lists():
    lists = {n: read_split(split_path(f'coco/{n}_all.txt')) for n in COCO}
    for n, ids in lists.items():
        check_count(ids, COCO[n], f'{n}_all')
        # ceil(118287 / n): the fraction of train2017 the name says.
        assert len(ids) == -(-118287 // n)
    # Independent draws: no list contains the next smaller one.
    for small, large in ((512, 256), (256, 128), (128, 64), (64, 32)):
        assert not set(lists[small]) <= set(lists[large])


def test_checks_catch_corrupt_lists():
    train_aug = _voc('train_aug.txt')
    labeled = _voc('92/labeled.txt')
    unlabeled = _voc('92/unlabeled.txt')
    with pytest.raises(AssertionError, match='91 ids, not 92'):
        check_count(labeled[:-1], 92, '92')
    with pytest.raises(AssertionError, match='share 1'):
        check_partition(labeled, unlabeled + labeled[:1], train_aug, '92')
    with pytest.raises(AssertionError, match='1 train_aug ids missing'):
        check_partition(labeled, unlabeled[:-1], train_aug, '92')
    with pytest.raises(AssertionError, match='duplicate'):
        check_no_duplicates(labeled + labeled[:1], '92')
    with pytest.raises(AssertionError, match='malformed'):
        check_format(labeled + ['2007_00073'], VOC_ID, '92')


def test_split_path_names_what_exists():
    path = split_path('voc12/92/labeled.txt')
    assert osp.isabs(path) and osp.isfile(path)
    with pytest.raises(FileNotFoundError,
                       match=r"'voc12/93/labeled.txt'.*voc12/ holds: "
                       r'1464/, 183/, 1_16/'):
        split_path('voc12/93/labeled.txt')
    with pytest.raises(FileNotFoundError,
                       match=r'data_splits/coco/ holds: 128_all.txt'):
        split_path('coco/1_512.txt')
    with pytest.raises(ValueError, match='without ".."'):
        split_path('../datasets/splits.py')


def test_wheel_ships_the_lists(tmp_path):
    # Build from a copy, so the build leaves nothing in the checkout.
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('setup.py', 'MANIFEST.in', 'README.md'):
        shutil.copy(osp.join(REPO, name), src)
    for name in ('requirements', 'mmseg_pseudoseg'):
        shutil.copytree(
            osp.join(REPO, name),
            src / name,
            ignore=shutil.ignore_patterns('__pycache__'))
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(tmp_path / 'dist'),
        str(src)
    ],
                   check=True,
                   capture_output=True)
    wheel, = glob.glob(str(tmp_path / 'dist' / '*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = 'mmseg_pseudoseg/data_splits/'
    missing = [n for n in list_splits() + ['README.md']
               if prefix + n not in names]
    assert not missing


BASE_CFG = """
data_splits = '{{ fileDirname }}/../../mmseg_pseudoseg/data_splits'
labeled = dict(
    type='PascalVOCDataset',
    data_root='%s',
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file=data_splits + '/voc12/183/labeled.txt')
train_dataloader = dict(dataset=dict(labeled=labeled))
"""
LEAF_CFG = """
_base_ = '../_base_/base.py'
train_dataloader = dict(dataset=dict(labeled=dict(
    ann_file=_base_.data_splits + '/voc12/92/labeled.txt')))
val_dataloader = dict(dataset=dict(
    ann_file='{{ fileDirname }}/../../mmseg_pseudoseg/data_splits/'
    'voc12/val.txt'))
"""


def test_config_points_ann_file_at_a_shipped_list(tmp_path):
    # A clone's layout: configs/_base_/, configs/<dir>/ and the package.
    repo = tmp_path / 'clone'
    (repo / 'configs' / '_base_').mkdir(parents=True)
    (repo / 'configs' / 'pseudoseg').mkdir()
    os.symlink(osp.join(REPO, 'mmseg_pseudoseg'), repo / 'mmseg_pseudoseg')
    data_root = tmp_path / 'VOC2012'
    (data_root / 'JPEGImages').mkdir(parents=True)
    (repo / 'configs/_base_/base.py').write_text(BASE_CFG % data_root)
    leaf = repo / 'configs/pseudoseg/leaf.py'
    leaf.write_text(LEAF_CFG)

    cfg = Config.fromfile(str(leaf))
    labeled = cfg.train_dataloader.dataset.labeled
    assert osp.samefile(labeled.ann_file, split_path('voc12/92/labeled.txt'))
    assert osp.samefile(cfg.val_dataloader.dataset.ann_file,
                        split_path('voc12/val.txt'))
    # A dumped config (what a work dir keeps) reloads as tools/test.py
    # loads it, from another folder, with the same absolute path.
    dumped = tmp_path / 'work' / 'leaf.py'
    dumped.parent.mkdir()
    cfg.dump(str(dumped))
    args = argparse.Namespace(
        config=str(dumped),
        launcher='none',
        cfg_options=None,
        work_dir=str(tmp_path / 'work'),
        local_rank=0)
    again, _ = load_cfg(args)
    assert again.train_dataloader.dataset.labeled.ann_file == \
        labeled.ann_file
    # mmseg uses an absolute ann_file as is, next to data_root.
    dataset = DATASETS.build(again.train_dataloader.dataset.labeled)
    assert len(dataset) == 92
    first = dataset.get_data_info(0)
    assert first['img_path'] == osp.join(
        str(data_root), 'JPEGImages', '2007_000733.jpg')
    assert first['seg_map_path'].endswith('SegmentationClass/2007_000733.png')
