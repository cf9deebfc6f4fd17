import filecmp
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mmseg.registry import DATASETS
from mmseg_pseudoseg.datasets import (make_splits, make_toy_dataset,
                                      read_split, write_splits)
from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg


def _mixed_cfg(toy_root, tmp_path):
    return toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path).train_dataloader.dataset


def test_mixed_dataset_item_layout(toy_root, tmp_path):
    dataset = DATASETS.build(_mixed_cfg(toy_root, tmp_path))
    n_lab = len(read_split(osp.join(toy_root, 'splits/1-8/labeled.txt')))
    n_unl = len(read_split(osp.join(toy_root, 'splits/1-8/unlabeled.txt')))
    assert (n_lab, n_unl) == (2, 14)
    # The toy config's unlabeled stream is all 16 train images, as the
    # release's is all of train_aug.
    assert len(dataset) == 16
    assert dataset.metainfo['classes'][0] == 'background'
    item = dataset[3]
    assert set(item['inputs']) == {'sup', 'weak', 'strong'}
    assert set(item['data_samples']) == {'sup', 'weak', 'strong'}
    weak, strong = item['inputs']['weak'], item['inputs']['strong']
    assert weak.shape == strong.shape  # identical geometry
    assert 'gt_sem_seg' in item['data_samples']['sup']
    # labeled sample 3 % 2 = 1, unlabeled sample 3
    assert item['data_samples']['sup'].img_path.endswith(
        dataset.labeled[1]['data_samples'].img_path[-14:])


def test_missing_split_file_is_named(toy_root, tmp_path):
    cfg = _mixed_cfg(toy_root, tmp_path)
    cfg.unlabeled.ann_file = 'splits/1-8/nope.txt'
    with pytest.raises(FileNotFoundError, match=r'unlabeled.*nope\.txt'):
        DATASETS.build(cfg)


def test_empty_unlabeled_set_is_named(toy_root, tmp_path):
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    cfg = _mixed_cfg(toy_root, tmp_path)
    cfg.unlabeled.ann_file = str(empty)
    with pytest.raises(ValueError, match=r'unlabeled is empty.*empty\.txt'):
        DATASETS.build(cfg)


def test_bad_labels_raise_naming_the_file(toy_root, tmp_path):
    # A copy of the toy set with one corrupt label and one resized label.
    root = str(tmp_path / 'bad')
    make_toy_dataset(root, num_train=16, num_val=2, seed=1)
    ids = read_split(osp.join(root, 'splits/1-8/labeled.txt'))
    path = osp.join(root, 'SegmentationClass', f'{ids[0]}.png')
    label = Image.open(path)
    arr = np.array(label)
    arr[0, 0] = 9  # >= num_classes (4) and not 255
    bad = Image.frombytes('P', arr.shape[::-1], arr.tobytes())
    bad.putpalette(label.getpalette())
    bad.save(path)
    cfg = _mixed_cfg(root, tmp_path)
    cfg.labeled.data_root = root
    cfg.unlabeled.data_root = root
    dataset = DATASETS.build(cfg)
    with pytest.raises(ValueError, match=rf'{ids[0]}\.png.*\[9\]'):
        dataset[0]
    small = osp.join(root, 'SegmentationClass', f'{ids[1]}.png')
    Image.open(small).resize((10, 10)).save(small)
    with pytest.raises(ValueError, match=rf'{ids[1]}\.png is 10x10'):
        dataset[1]


def test_toy_dataset_is_deterministic(tmp_path):
    a = make_toy_dataset(str(tmp_path / 'a'), num_train=16, num_val=2)
    b = make_toy_dataset(str(tmp_path / 'b'), num_train=16, num_val=2)
    for sub in ('JPEGImages', 'SegmentationClass', 'splits/1-4'):
        names = sorted(os.listdir(osp.join(a, sub)))
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(a, sub), osp.join(b, sub), names, shallow=False)
        assert not mismatch and not errors
    seg = np.array(Image.open(osp.join(a, 'SegmentationClass',
                                       'train_0000.png')))
    assert set(np.unique(seg)) <= {0, 1, 2, 3, 255}


def test_make_splits_counts_disjoint_and_seeded():
    train = [f'{i:06d}' for i in range(1464)]
    aug = [f'a{i:05d}' for i in range(10582 - 1464)]
    splits = make_splits(train, train + aug, (2, 4, 8, 16), seed=0)
    for n, k in ((2, 732), (4, 366), (8, 183), (16, 92)):
        labeled, unlabeled = splits[n]
        assert len(labeled) == k
        assert len(unlabeled) == 10582 - k
        assert not set(labeled) & set(unlabeled)
        assert set(labeled) <= set(train)
    again = make_splits(train, train + aug, (8, ), seed=0)
    assert again[8] == splits[8]
    assert make_splits(train, train + aug, (8, ), seed=1)[8] != splits[8]


def test_make_custom_splits_tool(tmp_path):
    pool = tmp_path / 'fine.txt'
    pool.write_text(''.join(f'f{i:02d}\n' for i in range(32)))
    extra = tmp_path / 'extra.txt'
    extra.write_text(''.join(f'e{i:02d}\n' for i in range(68)))
    out_dir = tmp_path / 'splits'
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools/make_custom_splits.py'),
        str(pool),
        str(out_dir), '--all-ids',
        str(pool),
        str(extra), '--denominators', '8', '16', '--seed', '3'
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert 'splits/1-16/labeled.txt: 2 ids' in out.stdout
    labeled = read_split(str(out_dir / '1-8/labeled.txt'))
    unlabeled = read_split(str(out_dir / '1-8/unlabeled.txt'))
    assert len(labeled) == 4 and len(unlabeled) == 96
    assert all(i.startswith('f') for i in labeled)
    assert not set(labeled) & set(unlabeled)
    # The same draw as the library function with the same seed.
    fine = read_split(str(pool))
    assert labeled == make_splits(fine, fine, (8, ), seed=3)[8][0]
    assert not osp.exists(out_dir / '1-2')
    # Without --all-ids the unlabeled set is the rest of the pool.
    subprocess.run(cmd[:4], capture_output=True, check=True)
    assert len(read_split(str(out_dir / '1-8/unlabeled.txt'))) == 28
    # A missing pool file: the error names it.
    os.remove(pool)
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode != 0 and 'fine.txt does not exist' in out.stderr


def test_write_splits_layout(tmp_path):
    paths = write_splits({4: (['a'], ['b', 'c'])}, str(tmp_path))
    assert [osp.relpath(p, tmp_path) for p in paths] == [
        '1-4/labeled.txt', '1-4/unlabeled.txt'
    ]
    assert read_split(paths[1]) == ['b', 'c']


def test_set_data_root_reaches_every_dataset():
    from mmseg_pseudoseg.datasets import set_data_root
    cfg = dict(
        a=dict(data_root='old', pipeline=[dict(data_root='old')]),
        b=[dict(x=1)])
    assert set_data_root(cfg, '/new') == 2
    assert cfg['a']['data_root'] == '/new'
    assert cfg['a']['pipeline'][0]['data_root'] == '/new'


def test_a_listed_id_without_its_image_is_named(toy_root, tmp_path):
    listed = tmp_path / 'ids.txt'
    ids = read_split(osp.join(toy_root, 'splits/1-8/unlabeled.txt'))
    listed.write_text(''.join(f'{i}\n' for i in ids + ['train_9999']))
    cfg = _mixed_cfg(toy_root, tmp_path)
    cfg.unlabeled.ann_file = str(listed)
    with pytest.raises(FileNotFoundError,
                       match=r'unlabeled: 2 file.*ids\.txt.*train_9999\.jpg'):
        DATASETS.build(cfg)
    # A label map is required only where the pipeline loads labels.
    os.rename(
        osp.join(toy_root, 'SegmentationClass', f'{ids[0]}.png'),
        str(tmp_path / 'moved.png'))
    try:
        cfg = _mixed_cfg(toy_root, tmp_path)
        cfg.unlabeled.ann_file = 'splits/1-8/unlabeled.txt'
        with pytest.raises(FileNotFoundError, match=f'{ids[0]}.png'):
            DATASETS.build(cfg)
        cfg.unlabeled.pipeline = [
            t for t in cfg.unlabeled.pipeline
            if t.type not in ('LoadAnnotations', 'ValidateSegMap')
        ]
        assert len(DATASETS.build(cfg)) == len(ids)
    finally:
        os.rename(
            str(tmp_path / 'moved.png'),
            osp.join(toy_root, 'SegmentationClass', f'{ids[0]}.png'))
