"""A small synthetic segmentation set in Pascal VOC layout.

Every image shows 1-3 shapes (disc, square, triangle) on a random textured
background. Each class has a typical hue (red, green, blue discs, squares,
triangles) drawn with a wide spread and random saturation and brightness, so
colour is a useful but unreliable cue and shape decides the rest.
Files: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png`` (palette PNGs like
VOC's, 255 on a thin outline of each shape), ``ImageSets/Segmentation/
{train,val}.txt`` and ``splits/1-{n}/{labeled,unlabeled}.txt``.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from PIL import Image

from .splits import make_splits, write_splits

TOY_CLASSES = ('background', 'disc', 'square', 'triangle')
TOY_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]


@DATASETS.register_module()
class ToyShapesDataset(BaseSegDataset):
    """The toy shapes set written by :func:`make_toy_dataset`."""
    METAINFO = dict(classes=TOY_CLASSES, palette=TOY_PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(
            img_suffix='.jpg', seg_map_suffix='.png', **kwargs)


def _draw_sample(rng: np.random.Generator,
                 size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """One BGR image and its label map (0 background, 255 outlines)."""
    h, w = size
    base = rng.integers(0, 256, 3)
    noise = rng.normal(0, 25, (h // 4 + 1, w // 4 + 1, 3))
    texture = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
    img = np.clip(base + texture, 0, 255).astype(np.uint8)
    seg = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        cls = int(rng.integers(1, len(TOY_CLASSES)))
        r = int(rng.integers(min(h, w) // 6, min(h, w) // 3 + 1))
        cy, cx = int(rng.integers(r, h - r)), int(rng.integers(r, w - r))
        mask = np.zeros((h, w), np.uint8)
        if cls == 1:
            cv2.circle(mask, (cx, cy), r, 1, -1)
        elif cls == 2:
            cv2.rectangle(mask, (cx - r, cy - r), (cx + r, cy + r), 1, -1)
        else:
            pts = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]])
            cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
        hue = (60 * (cls - 1) + rng.normal(0, 20)) % 180  # OpenCV hue
        hsv = np.uint8([[[hue, rng.integers(80, 256), rng.integers(80, 256)]]])
        colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float)
        shade = rng.normal(0, 12, (h, w, 1))
        fill = np.clip(colour + shade, 0, 255).astype(np.uint8)
        img[mask == 1] = fill[mask == 1]
        seg[mask == 1] = cls
        edge = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((2, 2)))
        seg[edge == 1] = 255
    return img, seg


def write_voc_layout(root: str, draw: Callable[[], tuple],
                     counts: Dict[str, int], classes_palette: Sequence,
                     jpeg_quality: int) -> Dict[str, List[str]]:
    """Write images drawn by ``draw()`` in Pascal VOC layout.

    For each split and count in ``counts`` (in order), ``draw()`` gives an
    (H, W, 3) uint8 BGR image and an (H, W) uint8 label map, written as
    ``JPEGImages/{split}_{i:04d}.jpg`` and a palette PNG under
    ``SegmentationClass`` (255 drawn light grey, as VOC's boundaries); the
    ids go to ``ImageSets/Segmentation/{split}.txt``.

    Returns:
        dict[str, list[str]]: The ids of each split.
    """
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    palette = np.zeros((256, 3), np.uint8)
    palette[:len(classes_palette)] = classes_palette
    palette[255] = (224, 224, 192)
    ids: Dict[str, List[str]] = {}
    for split, count in counts.items():
        ids[split] = []
        for i in range(count):
            name = f'{split}_{i:04d}'
            img, seg = draw()
            cv2.imwrite(
                osp.join(root, 'JPEGImages', f'{name}.jpg'), img,
                [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            label = Image.frombytes('P', seg.shape[::-1], seg.tobytes())
            label.putpalette(palette.flatten().tolist())
            label.save(osp.join(root, 'SegmentationClass', f'{name}.png'))
            ids[split].append(name)
        with open(osp.join(root, 'ImageSets/Segmentation', f'{split}.txt'),
                  'w') as f:
            f.write(''.join(f'{i}\n' for i in ids[split]))
    return ids


def make_toy_dataset(root: str,
                     num_train: int = 128,
                     num_val: int = 32,
                     size: Tuple[int, int] = (64, 80),
                     denominators: Sequence[int] = (2, 4, 8, 16),
                     seed: int = 0) -> str:
    """Write the toy set under ``root``; same seed, same bytes.

    Args:
        root (str): Output folder (created).
        num_train (int): Training images (the labeled pool and, minus the
            labeled ones, the unlabeled set).
        num_val (int): Validation images.
        size (tuple[int, int]): (H, W) of every image.
        denominators (Sequence[int]): Labeled fractions 1/n to write.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    if num_train < max(denominators) or num_val < 1:
        raise ValueError('make_toy_dataset needs num_train >= the largest '
                         'denominator and num_val >= 1')
    rng = np.random.default_rng(seed)
    ids = write_voc_layout(root, lambda: _draw_sample(rng, size),
                           dict(train=num_train, val=num_val), TOY_PALETTE,
                           jpeg_quality=95)
    write_splits(
        make_splits(ids['train'], ids['train'], denominators, seed),
        osp.join(root, 'splits'))
    return root


def set_data_root(cfg: dict, data_root: str) -> int:
    """Point every dataset of a config at ``data_root``, in place.

    Replaces the value of each ``data_root`` key in the nested config (the
    labeled, unlabeled, val and test datasets of the toy configs), so a run
    can use a toy set written elsewhere.

    Returns:
        int: How many ``data_root`` keys were set.
    """
    count = 0
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key == 'data_root' and isinstance(value, str):
                cfg[key] = data_root
                count += 1
            else:
                count += set_data_root(value, data_root)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += set_data_root(value, data_root)
    return count
