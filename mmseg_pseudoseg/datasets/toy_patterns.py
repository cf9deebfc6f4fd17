"""The label-limited benchmark set: ten pattern classes, 1-3 per image, in
the toy scenes' layout and conditions.

The toy scenes set (``toy_scenes.py``) has two foreground classes that
appear together in most images, so an image-level label says little. Here
image-level labels carry information as VOC's do:

- ten foreground classes, each a family of surface patterns
  (``pattern_families.BENCHMARK_FAMILIES``: stripes, dots, checker, rings,
  zigzag, crosshatch, bricks, honeycomb, spiral, herringbone), each drawn
  with a random period (3.5-10 px), orientation, centre, phase and two
  random colours of random contrast, so colour never gives the class away;
- every image holds 1-3 distinct classes (1, 2 or 3 with equal chance),
  one or two objects each, so each class is in about a fifth of the
  images and absent from the rest;
- the rest is the scenes' (the same helpers): outlines of five shapes for
  every class, rotated, sizes log-uniform over a factor of 3; plain
  clutter objects (background class) drawn first, so objects may cover
  clutter, not the reverse, and every class drawn stays in the image
  unless another class's object covers it; brightness ramp, shadow,
  colour cast, gamma, noise, JPEG.

The backbone is pre-trained on other families
(``pattern_families.PRETRAIN_FAMILIES``; ``tools/benchmark.py pretrain``).

Files as the scenes set's: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png``,
``ImageSets/Segmentation/{train,val}.txt``, ``splits/1-{n}/`` (split seed
0) and ``splits/seed{s}/1-{n}/{labeled,unlabeled}.txt``.
"""
from typing import Sequence, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .pattern_families import BENCHMARK_FAMILIES, pattern_weights
from .toy_scenes import (colour_pair, plain_surface, render_layers,
                         write_generated_set)

PATTERN_CLASSES = ('background', ) + tuple(BENCHMARK_FAMILIES)
# VOC's palette for its first 11 classes.
PATTERN_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
                   [0, 0, 128], [128, 0, 128], [0, 128, 128],
                   [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0]]
PERIOD = (3.5, 10.0)  # px, as the scenes' patterns


@DATASETS.register_module()
class ToyPatternsDataset(BaseSegDataset):
    """The benchmark patterns set written by :func:`make_toy_patterns`."""
    METAINFO = dict(classes=PATTERN_CLASSES, palette=PATTERN_PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(
            img_suffix='.jpg', seg_map_suffix='.png', **kwargs)


def patterned_surface(rng: np.random.Generator, cls: int, h: int,
                      w: int) -> np.ndarray:
    """(h, w, 3) BGR float surface of class ``cls`` (0: plain) with fine
    noise."""
    if cls == 0:
        return plain_surface(rng, h, w)
    a, b = colour_pair(rng, (0.3, 1.5))
    family = list(BENCHMARK_FAMILIES.values())[cls - 1]
    t = pattern_weights(rng, family, h, w, PERIOD)[..., None]
    return a * (1 - t) + b * t + rng.normal(0, 0.03, (h, w, 1))


def draw_pattern_scene(rng: np.random.Generator, size: Tuple[int, int],
                       max_classes: int = 3
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """One BGR uint8 image and its label map (0 background, 1-10 the
    classes of ``PATTERN_CLASSES``, 255 on boundaries)."""
    h, w = size
    img = plain_surface(rng, h, w)
    num_fg = len(PATTERN_CLASSES) - 1
    classes = rng.choice(num_fg, int(rng.integers(1, max_classes + 1)),
                         replace=False) + 1
    objects = [int(c) for c in classes for _ in range(rng.integers(1, 3))]
    clutter = [0] * int(rng.integers(0, 4))
    layers = clutter + [int(c) for c in rng.permutation(objects)]
    return render_layers(rng, img, layers, patterned_surface, (6, 18))


def make_toy_patterns(root: str,
                      num_train: int = 512,
                      num_val: int = 256,
                      size: Tuple[int, int] = (64, 80),
                      denominators: Sequence[int] = (2, 4, 8, 16),
                      split_seeds: Sequence[int] = tuple(range(10)),
                      seed: int = 0) -> str:
    """Write the patterns set under ``root``; same arguments, same bytes.
    Arguments and layout as :func:`make_toy_scenes`'s.

    Returns:
        str: ``root``.
    """
    return write_generated_set(root, draw_pattern_scene, PATTERN_PALETTE,
                               num_train, num_val, size, denominators,
                               split_seeds, seed, 'make_toy_patterns')
