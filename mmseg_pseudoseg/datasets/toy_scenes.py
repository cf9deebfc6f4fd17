"""A synthetic benchmark set in Pascal VOC layout: patterned objects in
cluttered, unevenly lit scenes.

The toy shapes set (``toy_shapes.py``) is a demo: each class has a typical
hue, so a few labeled images go a long way, and PseudoSeg's colour jitter
(hue +-90 degrees) moves one class's colour onto another's. This set is for
measuring what unlabeled images add, so:

- the class is the object's surface pattern, stripes or dots, each drawn
  with a random period (3.5-10 px), orientation, phase and two random
  colours of random contrast: colour never gives the class away, the strong
  view's colour jitter never changes it, and a few labeled images do not
  cover the patterns' range;
- the outline is a nuisance: discs, squares, triangles, ellipses and
  hexagons for every class, rotated, sizes log-uniform over a factor of 3;
- clutter: objects of the same outlines with unpatterned surfaces (flat,
  blotches, gradient; background class), which may cover other objects;
  the background is unpatterned too;
- lighting: a brightness ramp in a random direction, a soft shadow, a
  colour cast, gamma, sensor noise and JPEG compression.

Two pattern classes, not more: with four (stripes, checks, dots, rings)
the randomly initialised toy model separated patterned from plain surfaces
within 1,500 iterations but not the patterns from each
other (val mIoU about 20 with 256 labeled images).

Files: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png`` (palette PNGs,
255 on the 1-2 pixel boundaries between regions of different labels),
``ImageSets/Segmentation/{train,val}.txt``, ``splits/1-{n}/`` (split seed
0) and ``splits/seed{s}/1-{n}/{labeled,unlabeled}.txt`` for every split
seed (paired benchmark runs draw a different labeled set per seed).
"""
import os.path as osp
from typing import Callable, Sequence, Tuple

import cv2
import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .splits import make_splits, read_split, write_splits
from .toy_shapes import write_voc_layout

SCENE_CLASSES = ('background', 'stripes', 'dots')
SCENE_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


@DATASETS.register_module()
class ToyScenesDataset(BaseSegDataset):
    """The benchmark scenes set written by :func:`make_toy_scenes`."""
    METAINFO = dict(classes=SCENE_CLASSES, palette=SCENE_PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(
            img_suffix='.jpg', seg_map_suffix='.png', **kwargs)


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A random BGR colour in [0, 1]: any hue and saturation, value
    0.15-1."""
    hsv = np.float32([[[rng.uniform(0, 360), rng.uniform(0, 1),
                        rng.uniform(0.15, 1)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]


def colour_pair(rng: np.random.Generator,
                contrast: Tuple[float, float]) -> Tuple[np.ndarray, ...]:
    """Two colours whose summed channel difference is in ``contrast``."""
    a = _colour(rng)
    for _ in range(20):
        b = _colour(rng)
        if contrast[0] <= np.abs(a - b).sum() <= contrast[1]:
            break
    return a, b


def _pattern(rng: np.random.Generator, cls: int, h: int,
             w: int) -> np.ndarray:
    """(h, w) float mix weights in [0, 1] of the surface of class ``cls``:
    0 unpatterned (flat, blotches or gradient), 1 stripes, 2 dots."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    period = float(np.exp(rng.uniform(np.log(3.5), np.log(10))))
    phase = rng.uniform(0, 2 * np.pi)
    k = 2 * np.pi / period
    if cls == 1:
        t = np.sin(k * u + phase) > 0
    elif cls == 2:
        t = np.cos(k * u + phase) + np.cos(k * v) > 1.0
    else:
        kind = rng.integers(3)
        if kind == 0:
            t = np.zeros((h, w), np.float32)
        elif kind == 1:  # blotches: smooth noise, thresholded softly
            noise = rng.normal(0, 1, (h // 8 + 2, w // 8 + 2))
            noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
            t = 1 / (1 + np.exp(-2 * noise))
        else:
            t = (u - u.min()) / max(float(np.ptp(u)), 1e-6)
    return np.asarray(t, np.float32)


def _surface(rng: np.random.Generator, cls: int, h: int,
             w: int) -> np.ndarray:
    """(h, w, 3) BGR float surface of class ``cls`` with fine noise."""
    a, b = colour_pair(rng, (0.3, 1.5) if cls else (0.0, 0.6))
    t = _pattern(rng, cls, h, w)[..., None]
    return a * (1 - t) + b * t + rng.normal(0, 0.03, (h, w, 1))


def _rotated(points: np.ndarray, angle: float, cx: float,
             cy: float) -> np.ndarray:
    """Rotate (N, 2) offsets by ``angle`` and move them to (cx, cy)."""
    c, s = np.cos(angle), np.sin(angle)
    xy = points @ np.float32([[c, s], [-s, c]])
    return np.round(xy + [cx, cy]).astype(np.int32)


def outline_mask(rng: np.random.Generator, size: Tuple[int, int],
                 r: float) -> np.ndarray:
    """(h, w) uint8 mask of a disc, square, triangle, ellipse or hexagon
    of radius ``r``, rotated, centred anywhere (it may leave the image by
    up to half its size)."""
    h, w = size
    cx, cy = rng.uniform(r / 2, w - r / 2), rng.uniform(r / 2, h - r / 2)
    angle = rng.uniform(0, 2 * np.pi)
    mask = np.zeros((h, w), np.uint8)
    kind = rng.integers(5)
    if kind == 0:
        cv2.circle(mask, (round(cx), round(cy)), round(r), 1, -1)
    elif kind == 3:
        axes = (round(r), max(2, round(r / rng.uniform(1.5, 3))))
        cv2.ellipse(mask, (round(cx), round(cy)), axes,
                    np.degrees(angle), 0, 360, 1, -1)
    else:
        corners = {1: 4, 2: 3, 4: 6}[int(kind)]
        t = np.pi / 2 + np.arange(corners) * 2 * np.pi / corners
        pts = np.stack([np.cos(t), np.sin(t)], 1).astype(np.float32) * r
        cv2.fillPoly(mask, [_rotated(pts, angle, cx, cy)], 1)
    return mask


def lighting(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Brightness ramp, soft shadow, colour cast, gamma and noise."""
    h, w = img.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = ((x - w / 2) * np.cos(angle) + (y - h / 2) * np.sin(angle)) / w
    light = rng.uniform(0.7, 1.2) * (1 + rng.uniform(-0.6, 0.6) * ramp)
    if rng.random() < 0.5:
        shadow = np.zeros((h, w), np.float32)
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(8, 30)), int(rng.integers(8, 30)))
        cv2.ellipse(shadow, centre, axes, rng.uniform(0, 180), 0, 360, 1.0,
                    -1)
        shadow = cv2.GaussianBlur(shadow, (0, 0), 4)
        light = light * (1 - rng.uniform(0.2, 0.5) * shadow)
    img = img * light[..., None] * rng.uniform(0.85, 1.15, 3)
    img = np.clip(img, 0, 1)**rng.uniform(0.8, 1.25)
    img = img + rng.normal(0, rng.uniform(0, 0.03), img.shape)
    return np.clip(img, 0, 1)


def plain_surface(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """(h, w, 3) BGR float unpatterned surface (flat, blotches or gradient):
    the background and clutter of the scenes and of sets built like them
    (``toy_patterns.py``)."""
    return _surface(rng, 0, h, w)


def render_layers(rng: np.random.Generator, img: np.ndarray,
                  layers: Sequence[int],
                  surface: Callable[[np.random.Generator, int, int, int],
                                    np.ndarray],
                  radius: Tuple[float, float] = (7, 21)
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one object per entry of ``layers`` over ``img``, in order
    (later ones cover earlier ones), then boundaries and lighting.

    Args:
        rng (np.random.Generator): The image's generator.
        img (np.ndarray): (H, W, 3) BGR float background in [0, 1].
        layers (Sequence[int]): Class of each object (0: clutter).
        surface (Callable): ``surface(rng, cls, h, w)``, the (h, w, 3)
            BGR float surface of an object of class ``cls``.
        radius (tuple[float, float]): Object radius range (px), drawn
            log-uniform.

    Returns:
        tuple[np.ndarray, np.ndarray]: The BGR uint8 image and its label
        map (255 on boundaries between labels).
    """
    h, w = img.shape[:2]
    seg = np.zeros((h, w), np.uint8)
    for cls in layers:
        r = float(np.exp(rng.uniform(np.log(radius[0]), np.log(radius[1]))))
        mask = outline_mask(rng, (h, w), r)
        fill = surface(rng, int(cls), h, w)
        img[mask == 1] = fill[mask == 1]
        seg[mask == 1] = cls
    kernel = np.ones((2, 2), np.uint8)
    seg[cv2.dilate(seg, kernel) != cv2.erode(seg, kernel)] = 255
    img = lighting(rng, img)
    return (img * 255).round().astype(np.uint8), seg


def draw_scene(rng: np.random.Generator,
               size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """One BGR uint8 image and its label map (0 background, 1 stripes,
    2 dots, 255 on boundaries between labels)."""
    h, w = size
    img = _surface(rng, 0, h, w)
    layers = [int(c) for c in rng.integers(1, len(SCENE_CLASSES),
                                           rng.integers(1, 5))]
    layers += [0] * int(rng.integers(0, 4))  # clutter
    # Later layers cover earlier ones.
    return render_layers(rng, img, rng.permutation(layers), _surface)


def write_generated_set(root: str, draw: Callable, palette,
                        num_train: int, num_val: int, size: Tuple[int, int],
                        denominators: Sequence[int],
                        split_seeds: Sequence[int], seed: int,
                        name: str) -> str:
    """Write a procedurally drawn set (``draw(rng, size)`` -> image, label)
    in the VOC-like layout with per-seed split lists; see
    :func:`make_toy_scenes` for the arguments. ``name`` is for errors."""
    if num_train < max(denominators) or num_val < 1:
        raise ValueError(f'{name} needs num_train >= the largest '
                         'denominator and num_val >= 1')
    rng = np.random.default_rng(seed)
    write_voc_layout(root, lambda: draw(rng, size),
                     dict(train=num_train, val=num_val), palette,
                     jpeg_quality=90)
    write_scene_splits(root, denominators, split_seeds)
    return root


def make_toy_scenes(root: str,
                    num_train: int = 512,
                    num_val: int = 256,
                    size: Tuple[int, int] = (64, 80),
                    denominators: Sequence[int] = (2, 4, 8, 16),
                    split_seeds: Sequence[int] = tuple(range(10)),
                    seed: int = 0) -> str:
    """Write the scenes set under ``root``; same arguments, same bytes.

    Args:
        root (str): Output folder (created).
        num_train (int): Training images: the labeled pool and, minus the
            labeled ones, the unlabeled set. Defaults to 512.
        num_val (int): Validation images. Defaults to 256.
        size (tuple[int, int]): (H, W) of every image. Defaults to (64, 80).
        denominators (Sequence[int]): Labeled fractions 1/n to write.
        split_seeds (Sequence[int]): Seeds of the labeled draws written to
            ``splits/seed{s}/``; ``splits/1-{n}`` is split seed 0's draw.
        seed (int): Seed of the images. Defaults to 0.

    Returns:
        str: ``root``.
    """
    return write_generated_set(root, draw_scene, SCENE_PALETTE, num_train,
                               num_val, size, denominators, split_seeds,
                               seed, 'make_toy_scenes')


def write_scene_splits(root: str, denominators: Sequence[int],
                       split_seeds: Sequence[int]) -> None:
    """Write the split lists of a scenes set's training ids
    (``ImageSets/Segmentation/train.txt``) for these fractions and seeds:
    ``splits/seed{s}/1-{n}``, and ``splits/1-{n}`` for seed 0. A draw
    depends only on the ids, the seed and n, so lists written later for
    other fractions leave the earlier ones as they are."""
    train = read_split(osp.join(root, 'ImageSets/Segmentation/train.txt'))
    if len(train) < max(denominators):
        raise ValueError(f'{root}: {len(train)} training images, fewer '
                         f'than the denominator {max(denominators)}')
    for s in split_seeds:
        splits = make_splits(train, train, denominators, s)
        write_splits(splits, osp.join(root, 'splits', f'seed{s}'))
        if s == 0:
            write_splits(splits, osp.join(root, 'splits'))
