"""Image-level labels: the tool that derives them from label PNGs and the
transform that loads them, on hand-made PNGs."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg.registry import DATASETS, TRANSFORMS
from .conftest import REPO

TOOL = osp.join(REPO, 'tools/dataset_converters/voc_image_labels.py')


def _png(path, values, palette=False):
    """A 4x6 label PNG holding ``values`` (L mode, or P like VOC's)."""
    arr = np.zeros((4, 6), np.uint8)
    arr.flat[:len(values)] = values
    if palette:
        img = Image.frombytes('P', (6, 4), arr.tobytes())
        img.putpalette([0, 0, 0] * 256)
    else:
        img = Image.fromarray(arr)
    img.save(path)


@pytest.fixture
def voc_root(tmp_path):
    root = tmp_path / 'VOC2012'
    for sub in ('JPEGImages', 'SegmentationClassAug', 'SegmentationClass'):
        (root / sub).mkdir(parents=True)
    aug, fine = root / 'SegmentationClassAug', root / 'SegmentationClass'
    _png(aug / '2007_000001.png', [0, 15, 1, 255, 15])  # -> 1 15
    _png(aug / '2007_000002.png', [0, 255])  # -> no foreground class
    _png(fine / '2007_000003.png', [20, 0], palette=True)  # only in fine
    _png(aug / '2007_000004.png', [2])  # in both: Aug comes first
    _png(fine / '2007_000004.png', [3], palette=True)
    ids = ['2007_000004', '2007_000001', '2007_000002', '2007_000003']
    (root / 'ids.txt').write_text(''.join(f'{i}\n' for i in ids))
    for i in ids:
        cv2.imwrite(str(root / 'JPEGImages' / f'{i}.jpg'),
                    np.full((4, 6, 3), 128, np.uint8))
    return root


def _run_tool(root, *extra):
    return subprocess.run(
        [sys.executable, TOOL,
         str(root), '--ids',
         str(root / 'ids.txt'), *extra],
        cwd=REPO,
        capture_output=True,
        text=True)


def test_tool_writes_classes_per_id(voc_root):
    out = _run_tool(voc_root)
    assert out.returncode == 0, out.stderr
    assert '3 labels from' in out.stdout and '1 labels from' in out.stdout
    # In the id list's order; the default output file is named after it.
    assert (voc_root / 'ImageLabels' / 'ids.txt').read_text() == (
        '2007_000004 2\n'
        '2007_000001 1 15\n'
        '2007_000002\n'
        '2007_000003 20\n')


def test_tool_errors_name_the_png(voc_root):
    (voc_root / 'SegmentationClass' / '2007_000003.png').unlink()
    out = _run_tool(voc_root, '--out', str(voc_root / 'labels.txt'))
    assert out.returncode != 0
    assert 'SegmentationClassAug/2007_000003.png or ' in out.stderr
    assert 'SegmentationClass/2007_000003.png' in out.stderr
    _png(voc_root / 'SegmentationClass' / '2007_000003.png', [21])
    out = _run_tool(voc_root, '--out', str(voc_root / 'labels.txt'))
    assert out.returncode != 0
    assert '2007_000003.png has values [21] >= num_classes (21)' in \
        out.stderr
    assert not (voc_root / 'labels.txt').exists()


def test_transform_in_a_real_pipeline(voc_root):
    assert _run_tool(voc_root).returncode == 0
    dataset = DATASETS.build(
        dict(
            type='PascalVOCDataset',
            data_root=str(voc_root),
            data_prefix=dict(img_path='JPEGImages'),
            ann_file='ids.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='LoadImageLevelLabels',
                    label_file=str(voc_root / 'ImageLabels' / 'ids.txt'),
                    num_classes=21),
            ]))
    expected = {0: [2], 1: [1, 15], 2: [], 3: [20]}
    for idx, classes in expected.items():
        labels = dataset[idx]['gt_image_labels']
        assert labels.dtype == np.float32 and labels.shape == (20, )
        # index f is class f + 1
        assert np.flatnonzero(labels).tolist() == [c - 1 for c in classes]


def test_coco_style_ids(tmp_path):
    path = tmp_path / 'labels.txt'
    path.write_text('train2017/000000000001 1 80\n'
                    'val2017/000000000001 3\n')
    t = TRANSFORMS.build(
        dict(type='LoadImageLevelLabels', label_file=str(path),
             num_classes=81))
    out = t(dict(img_path='data/coco/train2017/000000000001.jpg'))
    assert np.flatnonzero(out['gt_image_labels']).tolist() == [0, 79]
    # Same basename, other folder: a different image.
    out = t(dict(img_path='/x/coco/val2017/000000000001.jpg'))
    assert np.flatnonzero(out['gt_image_labels']).tolist() == [2]


@pytest.mark.parametrize('content, message', [
    ('a 1\nb 21\n', r'line 2: classes \[\'21\'\] are not integers in 1..20'),
    ('a 0\n', r'line 1: classes \[\'0\'\]'),
    ('a 1\n\nb x\n', r'line 3: classes \[\'x\'\]'),
    ('a 1\na 2\n', r"line 2: id 'a' repeats"),
    ('a 1\ntrain2017/b 2\n', r"line 2: id 'train2017/b' has 2"),
])
def test_bad_label_file_names_file_and_line(tmp_path, content, message):
    path = tmp_path / 'labels.txt'
    path.write_text(content)
    with pytest.raises(ValueError, match=rf'labels\.txt, {message}'):
        TRANSFORMS.build(
            dict(
                type='LoadImageLevelLabels',
                label_file=str(path),
                num_classes=21))


def test_missing_id_or_file_is_named(tmp_path):
    path = tmp_path / 'labels.txt'
    path.write_text('2007_000001 1\n')
    t = TRANSFORMS.build(
        dict(type='LoadImageLevelLabels', label_file=str(path),
             num_classes=21))
    with pytest.raises(KeyError, match=r"labels\.txt has no line for id "
                       r"'2007_000002'"):
        t(dict(img_path='JPEGImages/2007_000002.jpg'))
    with pytest.raises(FileNotFoundError, match=r'nope\.txt does not exist'):
        TRANSFORMS.build(
            dict(
                type='LoadImageLevelLabels',
                label_file=str(tmp_path / 'nope.txt'),
                num_classes=21))
    with pytest.raises(ValueError, match='num_classes must be >= 2'):
        TRANSFORMS.build(
            dict(
                type='LoadImageLevelLabels',
                label_file=str(path),
                num_classes=1))
