"""COCO: the instance-to-semantic converter run as a user runs it, the
81-class dataset, and COCO images as extra unlabeled data for VOC."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmseg.datasets import COCOStuffDataset
from mmseg.registry import DATASETS
from mmseg_pseudoseg.datasets import COCO81Dataset
from .conftest import REPO

TOOL = osp.join(REPO, 'tools/dataset_converters/coco_instances_to_semantic.py')
X = 255  # ignore
# Category ids 18, 3, 7 (listed unsorted) -> labels 3, 1, 2.
CATEGORIES = [
    dict(id=18, name='dog'),
    dict(id=3, name='car'),
    dict(id=7, name='train')
]


def _rect(x0, y0, x1, y1):
    """Polygon covering columns x0..x1-1 and rows y0..y1-1 (pycocotools)."""
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


# Image 1 (train, 6x8). Annotations:
#   car  (label 1): columns 0-3, rows 0-2
#   train(label 2): columns 2-5, rows 2-4 -> overlaps car at row 2, cols 2-3
#   car  (label 1): columns 3-4, rows 0-1 -> overlaps car: stays car
#   dog  (label 3) crowd RLE: columns 5-7, all rows (30 zeros, 18 ones,
#        column-major) -> 255 except column 5, rows 2-4, which 'train' covers
EXPECTED_1 = np.array([
    [1, 1, 1, 1, 1, X, X, X],
    [1, 1, 1, 1, 1, X, X, X],
    [1, 1, X, X, 2, 2, X, X],
    [0, 0, 2, 2, 2, 2, X, X],
    [0, 0, 2, 2, 2, 2, X, X],
    [0, 0, 0, 0, 0, X, X, X],
], np.uint8)
# The same with --crowd class: the crowd is a 'dog' (3) instance, so column 5
# rows 2-4 become a train/dog overlap.
EXPECTED_1_CROWD_CLASS = np.array([
    [1, 1, 1, 1, 1, 3, 3, 3],
    [1, 1, 1, 1, 1, 3, 3, 3],
    [1, 1, X, X, 2, X, 3, 3],
    [0, 0, 2, 2, 2, X, 3, 3],
    [0, 0, 2, 2, 2, X, 3, 3],
    [0, 0, 0, 0, 0, 3, 3, 3],
], np.uint8)
# Image 2 (train, 4x5): no annotations -> all background.
# Image 3 (val, 5x4): car polygon on column 0; dog as compressed RLE on
# rows 1-3, columns 1-2.
EXPECTED_3 = np.array([
    [1, 0, 0, 0],
    [1, 3, 3, 0],
    [1, 3, 3, 0],
    [1, 3, 3, 0],
    [1, 0, 0, 0],
], np.uint8)


def _write_coco(root):
    rng = np.random.default_rng(0)
    images = {
        'train2017': [(2, 4, 5), (1, 6, 8)],  # (id, h, w), unsorted
        'val2017': [(3, 5, 4)]
    }
    dog = np.zeros((5, 4), np.uint8)
    dog[1:4, 1:3] = 1
    dog_rle = mask_utils.encode(np.asfortranarray(dog))
    dog_rle['counts'] = dog_rle['counts'].decode()
    anns = {
        'train2017': [
            dict(id=10, image_id=1, category_id=3, segmentation=_rect(
                0, 0, 4, 3), iscrowd=0),
            dict(id=11, image_id=1, category_id=7, segmentation=_rect(
                2, 2, 6, 5), iscrowd=0),
            dict(id=12, image_id=1, category_id=3, segmentation=_rect(
                3, 0, 5, 2), iscrowd=0),
            dict(id=13, image_id=1, category_id=18, iscrowd=1,
                 segmentation=dict(size=[6, 8], counts=[30, 18])),
        ],
        'val2017': [
            dict(id=20, image_id=3, category_id=3, segmentation=_rect(
                0, 0, 1, 5), iscrowd=0),
            dict(id=21, image_id=3, category_id=18, segmentation=dog_rle,
                 iscrowd=0),
        ]
    }
    os.makedirs(osp.join(root, 'annotations'))
    for set_name, entries in images.items():
        os.makedirs(osp.join(root, set_name))
        json_images = []
        for img_id, h, w in entries:
            name = f'{img_id:012d}.jpg'
            cv2.imwrite(
                osp.join(root, set_name, name),
                rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
            json_images.append(
                dict(id=img_id, file_name=name, height=h, width=w))
        with open(osp.join(root, 'annotations',
                           f'instances_{set_name}.json'), 'w') as f:
            json.dump(
                dict(
                    images=json_images,
                    annotations=anns[set_name],
                    categories=CATEGORIES), f)
    with open(osp.join(root, 'tiny_2.txt'), 'w') as f:
        f.write('train2017/000000000002\n')
    return root


def _convert(root, *extra, ok=True):
    cmd = [sys.executable, TOOL, root, '--labeled-splits',
           osp.join(root, 'tiny_2.txt'), *extra]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if ok:
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out


def _png(root, set_name, img_id, out='semantic81'):
    return osp.join(root, out, set_name, f'{img_id:012d}.png')


def _read(path):
    return np.array(Image.open(path))


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = _write_coco(str(tmp_path_factory.mktemp('coco') / 'coco'))
    out = _convert(root)
    return root, out.stdout


def test_labels_are_pixel_exact(converted):
    root, log = converted
    assert '3 categories -> labels 1..3' in log
    assert 'train2017: 2 written, 0 kept' in log
    png = Image.open(_png(root, 'train2017', 1))
    assert png.mode == 'L'
    np.testing.assert_array_equal(np.array(png), EXPECTED_1)
    np.testing.assert_array_equal(
        _read(_png(root, 'train2017', 2)), np.zeros((4, 5), np.uint8))
    np.testing.assert_array_equal(_read(_png(root, 'val2017', 3)), EXPECTED_3)
    assert 'all 1 PNGs in' in log and 'values in 0..3 or 255' in log


def test_id_lists(converted):
    root, _ = converted
    splits = osp.join(root, 'splits')

    def ids(name):
        with open(osp.join(splits, name)) as f:
            return f.read().split('\n')

    assert ids('train2017.txt') == [
        'train2017/000000000001', 'train2017/000000000002', ''
    ]
    assert ids('val2017.txt') == ['val2017/000000000003', '']
    # train2017 minus the labeled list, derived, not drawn
    assert ids('tiny_2/unlabeled.txt') == ['train2017/000000000001', '']


def test_crowd_as_class(converted, tmp_path):
    root, _ = converted
    _convert(root, '--sets', 'train2017', '--crowd', 'class', '--out-dir',
             str(tmp_path / 'png'), '--splits-dir', str(tmp_path / 'ids'))
    np.testing.assert_array_equal(
        _read(str(tmp_path / 'png/train2017/000000000001.png')),
        EXPECTED_1_CROWD_CLASS)


def test_resume_keeps_valid_and_redoes_bad_pngs(converted, tmp_path):
    root = str(tmp_path / 'coco')
    shutil.copytree(converted[0], root)
    log = _convert(root).stdout
    assert 'train2017: 0 written, 2 kept' in log
    assert 'val2017: 0 written, 1 kept' in log
    truncated = _png(root, 'train2017', 1)
    with open(truncated, 'rb') as f:
        head = f.read(40)
    with open(truncated, 'wb') as f:  # a run killed mid-write
        f.write(head)
    Image.new('L', (3, 3)).save(_png(root, 'val2017', 3))  # stale size
    log = _convert(root, '--nproc', '2').stdout
    assert 'train2017: 1 written, 1 kept' in log
    assert 'val2017: 1 written, 0 kept' in log
    np.testing.assert_array_equal(_read(truncated), EXPECTED_1)
    np.testing.assert_array_equal(_read(_png(root, 'val2017', 3)), EXPECTED_3)
    assert not [
        f for f in os.listdir(osp.join(root, 'semantic81/train2017'))
        if f.endswith('.tmp')
    ]


def _edit_json(root, set_name, edit):
    path = osp.join(root, 'annotations', f'instances_{set_name}.json')
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


@pytest.mark.parametrize('case', [
    'unknown_category', 'missing_image', 'not_instances', 'stray_split_id'
])
def test_bad_input_names_the_file(case, tmp_path):
    root = _write_coco(str(tmp_path / 'coco'))
    if case == 'unknown_category':
        culprit = _edit_json(
            root, 'val2017',
            lambda d: d['annotations'][0].update(category_id=99))
        message = 'names category_id 99'
    elif case == 'missing_image':
        culprit = osp.join(root, 'train2017', '000000000002.jpg')
        os.remove(culprit)
        message = 'do not exist'
    elif case == 'not_instances':  # a panoptic json, say
        culprit = _edit_json(
            root, 'train2017', lambda d: [
                a.update(segments_info=[]) or a.pop('segmentation')
                for a in d['annotations']
            ])
        message = 'not a COCO instances file'
    else:
        culprit = osp.join(root, 'tiny_2.txt')
        with open(culprit, 'a') as f:
            f.write('train2017/000000000042\n')
        message = 'not train2017 images'
    out = _convert(root, ok=False)
    assert out.returncode != 0
    assert culprit in out.stderr and message in out.stderr, out.stderr
    # Checked before any work: nothing was written.
    assert not osp.exists(osp.join(root, 'semantic81'))


def test_coco81_loads_through_a_real_pipeline(converted):
    root, _ = converted
    dataset = DATASETS.build(
        dict(
            type='COCO81Dataset',
            data_root=root,
            data_prefix=dict(img_path='', seg_map_path='semantic81'),
            ann_file='splits/train2017.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='ValidateSegMap', num_classes=81),
            ]))
    assert len(dataset) == 2
    sample = dataset[0]
    assert sample['img_path'] == osp.join(root, 'train2017',
                                          '000000000001.jpg')
    assert sample['img'].shape == (6, 8, 3)
    np.testing.assert_array_equal(sample['gt_seg_map'], EXPECTED_1)


def test_coco81_metainfo():
    classes = COCO81Dataset.METAINFO['classes']
    palette = COCO81Dataset.METAINFO['palette']
    assert len(classes) == len(palette) == 81
    assert classes[0] == 'background'
    # mmseg's COCO-Stuff lists the things first, in category id order.
    assert classes[1:] == COCOStuffDataset.METAINFO['classes'][:80]
    assert len({tuple(c) for c in palette}) == 81
    assert palette[:2] == [[0, 0, 0], [128, 0, 0]]


def test_coco_as_extra_unlabeled_data_for_voc(converted):
    # Paper setting 4: COCO train2017 images unlabeled for the 21-class
    # VOC model; a stock dataset lists them, no labels are loaded.
    root, _ = converted
    dataset = DATASETS.build(
        dict(
            type='PascalVOCDataset',
            data_root=root,
            data_prefix=dict(img_path=''),
            ann_file='splits/train2017.txt',
            pipeline=[dict(type='LoadImageFromFile')]))
    assert len(dataset) == 2
    assert len(dataset.metainfo['classes']) == 21
    sample = dataset[1]
    assert sample['img_path'] == osp.join(root, 'train2017',
                                          '000000000002.jpg')
    assert sample['img'].shape == (4, 5, 3)
    assert 'seg_map_path' not in sample and 'gt_seg_map' not in sample


def test_high_data_mixed_dataset_checks_classes(converted, tmp_path):
    root, _ = converted
    voc = tmp_path / 'VOC2012'
    (voc / 'JPEGImages').mkdir(parents=True)
    Image.new('RGB', (8, 8)).save(voc / 'JPEGImages' / '2007_000032.jpg')
    (voc / 'ids.txt').write_text('2007_000032\n')
    labeled = dict(
        type='PascalVOCDataset',
        data_root=str(voc),
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ids.txt')
    unlabeled = dict(
        type='PascalVOCDataset',
        data_root=root,
        data_prefix=dict(img_path=''),
        ann_file='splits/train2017.txt')
    mixed = DATASETS.build(
        dict(type='MixedDataset', labeled=labeled, unlabeled=unlabeled))
    assert len(mixed) == 2
    # COCO's own 81 classes would not fit the 21-class VOC model.
    unlabeled['type'] = 'COCO81Dataset'
    with pytest.raises(ValueError, match='different classes'):
        DATASETS.build(
            dict(type='MixedDataset', labeled=labeled, unlabeled=unlabeled))
