"""The label-limited benchmark set: eight pattern classes, 1-3 per image,
in the toy scenes' layout and conditions.

The toy scenes set (``toy_scenes.py``) has two foreground classes that
appear together in most images, so an image-level label says little. Here
image-level labels carry information as VOC's do:

- eight foreground classes, each a family of surface patterns
  (``pattern_families.BENCHMARK_FAMILIES``: stripes, dots, checker, zigzag,
  bricks, honeycomb, spiral, herringbone), each drawn with a random period
  (4-8 px), orientation, centre, phase and two random colours of random
  contrast, so colour never gives the class away;
- every image holds 1-3 distinct classes (1, 2 or 3 with equal chance), one
  object each, so each class is in about a quarter of the images and
  absent from the rest;
- the rest is the scenes' (the same helpers): outlines of five shapes for
  every class, rotated, radius log-uniform in 12-28 px; plain clutter
  objects (background class) drawn first, so objects may cover clutter,
  not the reverse; brightness ramp, shadow, colour cast, gamma, noise,
  JPEG.

The set's version 1 (ten classes, radius 6-18 px, periods 3.5-10 px, one
or two objects per class) was too hard for the toy segmentor at any
fraction; version 2's settings were chosen on the supervised arm alone
(docs/en/benchmarks/toy_patterns.md).

The backbone is pre-trained on other families
(``pattern_families.PRETRAIN_FAMILIES``; ``tools/benchmark.py pretrain``).

``make_toy_patterns(..., num_classes=16)`` writes a variant with eight more
classes (``pattern_families.CLASSES16_FAMILIES``; labels 1-8 as here),
read by :class:`ToyPatterns16Dataset`: the benchmark one step closer to
VOC's twenty classes (``tools/benchmark.py regime|arms --classes 16``).

Files as the scenes set's: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png``,
``ImageSets/Segmentation/{train,val}.txt``, ``splits/1-{n}/`` (split seed
0) and ``splits/seed{s}/1-{n}/{labeled,unlabeled}.txt``, plus the stamp
``toy_patterns.json``.
"""
import json
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .pattern_families import (BENCHMARK_FAMILIES, CLASSES16_FAMILIES,
                               pattern_weights)
from .toy_scenes import (colour_pair, plain_surface, render_layers,
                         write_generated_set)

PATTERN_CLASSES = ('background', ) + tuple(BENCHMARK_FAMILIES)
# VOC's palette for its first 17 classes (the sixteen-class variant's).
PATTERN16_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
                     [0, 0, 128], [128, 0, 128], [0, 128, 128],
                     [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0],
                     [192, 128, 0], [64, 0, 128], [192, 0, 128],
                     [64, 128, 128], [192, 128, 128], [0, 64, 0]]
PATTERN_PALETTE = PATTERN16_PALETTE[:len(PATTERN_CLASSES)]
# The variant with more classes (the benchmark's eight and eight more), one
# step towards VOC's twenty: ``make_toy_patterns(..., num_classes=16)``.
PATTERN16_CLASSES = ('background', ) + tuple(CLASSES16_FAMILIES)
# Foreground classes -> (class names with background, palette, families).
CLASS_SETS = {
    8: (PATTERN_CLASSES, PATTERN_PALETTE, BENCHMARK_FAMILIES),
    16: (PATTERN16_CLASSES, PATTERN16_PALETTE, CLASSES16_FAMILIES),
}
PERIOD = (4.0, 8.0)  # px
# Version 2: eight classes (rings and crosshatch, which the supervised arm
# could not tell from stripes and checker, left out), larger objects, one
# per class, periods 4-8 px, higher contrast (docs/en/benchmarks/
# toy_patterns.md). Version 1 (ten classes) had no stamp file.
SET_VERSION = 2
STAMP = 'toy_patterns.json'
RADIUS = (12, 28)  # px, object radius
CONTRAST = (0.6, 1.5)  # summed channel difference of the two colours


@DATASETS.register_module()
class ToyPatternsDataset(BaseSegDataset):
    """The benchmark patterns set written by :func:`make_toy_patterns`."""
    METAINFO = dict(classes=PATTERN_CLASSES, palette=PATTERN_PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(
            img_suffix='.jpg', seg_map_suffix='.png', **kwargs)


@DATASETS.register_module()
class ToyPatterns16Dataset(ToyPatternsDataset):
    """The sixteen-class variant written by ``make_toy_patterns(...,
    num_classes=16)``: the benchmark's eight classes (same labels) and
    eight more."""
    METAINFO = dict(classes=PATTERN16_CLASSES, palette=PATTERN16_PALETTE)


def patterned_surface(rng: np.random.Generator, cls: int, h: int, w: int,
                      period: Tuple[float, float] = PERIOD,
                      contrast: Tuple[float, float] = CONTRAST,
                      families: Optional[Dict[str, Callable]] = None
                      ) -> np.ndarray:
    """(h, w, 3) BGR float surface of class ``cls`` (0: plain) with fine
    noise; class ``c`` is the ``c``-th of ``families`` (default: the
    benchmark's)."""
    if cls == 0:
        return plain_surface(rng, h, w)
    a, b = colour_pair(rng, contrast)
    family = list((families or BENCHMARK_FAMILIES).values())[cls - 1]
    t = pattern_weights(rng, family, h, w, period)[..., None]
    return a * (1 - t) + b * t + rng.normal(0, 0.03, (h, w, 1))


def draw_pattern_scene(rng: np.random.Generator,
                       size: Tuple[int, int],
                       max_classes: int = 3,
                       objects_per_class: Tuple[int, int] = (1, 1),
                       radius: Tuple[float, float] = RADIUS,
                       period: Tuple[float, float] = PERIOD,
                       contrast: Tuple[float, float] = CONTRAST,
                       families: Optional[Dict[str, Callable]] = None
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """One BGR uint8 image and its label map (0 background, 1-8 the
    classes of ``PATTERN_CLASSES``, or 1-16 with ``families``
    ``CLASSES16_FAMILIES``; 255 on boundaries). The keyword
    arguments draw variants for probes (``families``: other classes, in
    label order)."""
    h, w = size
    img = plain_surface(rng, h, w)
    num_fg = len(families or BENCHMARK_FAMILIES)
    classes = rng.choice(num_fg, int(rng.integers(1, max_classes + 1)),
                         replace=False) + 1
    lo, hi = objects_per_class
    objects = [int(c) for c in classes
               for _ in range(rng.integers(lo, hi + 1))]
    clutter = [0] * int(rng.integers(0, 4))
    layers = clutter + [int(c) for c in rng.permutation(objects)]

    def surface(rng, cls, h, w):
        return patterned_surface(rng, cls, h, w, period, contrast, families)

    return render_layers(rng, img, layers, surface, radius)


def make_toy_patterns(root: str,
                      num_train: int = 512,
                      num_val: int = 256,
                      size: Tuple[int, int] = (64, 80),
                      denominators: Sequence[int] = (2, 4, 8, 16),
                      split_seeds: Sequence[int] = tuple(range(10)),
                      seed: int = 0,
                      num_classes: int = 8,
                      **draw_kwargs) -> str:
    """Write the patterns set under ``root``; same arguments, same bytes.
    Arguments and layout as :func:`make_toy_scenes`'s, plus
    ``toy_patterns.json`` (:data:`SET_VERSION` and the arguments), which
    :func:`check_toy_patterns` reads. ``draw_kwargs`` go to
    :func:`draw_pattern_scene` (variants for probes, e.g. ``radius=(6,
    18)``; the benchmark refuses such a set). ``num_classes`` 16 writes
    the variant with eight more classes (:data:`CLASS_SETS`), recorded in
    the stamp; 8 is the benchmark.

    Returns:
        str: ``root``.
    """
    if num_classes not in CLASS_SETS:
        raise ValueError(f'num_classes must be one of {sorted(CLASS_SETS)} '
                         f'(foreground classes), got {num_classes}')
    if num_classes != 8 and 'families' in draw_kwargs:
        raise ValueError('give num_classes or families, not both')
    _, palette, families = CLASS_SETS[num_classes]
    kwargs = dict(draw_kwargs)
    if num_classes != 8:
        kwargs['families'] = families

    def draw(rng, size):
        return draw_pattern_scene(rng, size, **kwargs)

    write_generated_set(root, draw, palette, num_train, num_val,
                        size, denominators, split_seeds, seed,
                        'make_toy_patterns')
    stamp = dict(version=SET_VERSION, num_train=num_train, num_val=num_val,
                 size=list(size), seed=seed,
                 draw={k: _jsonable(v) for k, v in draw_kwargs.items()})
    if num_classes != 8:  # the benchmark's stamp as before
        stamp['num_classes'] = num_classes
    with open(osp.join(root, STAMP), 'w') as f:
        json.dump(stamp, f)
    return root


def _jsonable(value):
    if isinstance(value, dict):  # families: their names
        return list(value)
    return list(value) if isinstance(value, tuple) else value


def check_toy_patterns(root: str, num_classes: int = 8) -> dict:
    """The stamp of the patterns set at ``root``; raises if the set was
    written by another version of :func:`make_toy_patterns` (other
    classes or drawing), whose runs would not compare with this one's, or
    has another number of foreground classes than ``num_classes``.

    Raises:
        ValueError: Naming ``root`` and what to do.
    """
    path = osp.join(root, STAMP)
    stamp = {}
    if osp.isfile(path):
        with open(path) as f:
            stamp = json.load(f)
    if stamp.get('version') != SET_VERSION:
        raise ValueError(
            f'{root}: toy patterns set of version '
            f"{stamp.get('version', '1 (no ' + STAMP + ')')}, this code "
            f'draws version {SET_VERSION} ({len(PATTERN_CLASSES) - 1} '
            'classes); delete the folder and run again to write it anew')
    if stamp.get('draw'):
        raise ValueError(
            f"{root}: a variant of the toy patterns set (drawn with "
            f"{stamp['draw']}), not the benchmark's; use another "
            '--data-root')
    have = stamp.get('num_classes', 8)
    if have != num_classes:
        raise ValueError(
            f'{root}: toy patterns set with {have} foreground classes, the '
            f'run asks for {num_classes} (--classes); use another '
            '--data-root')
    return stamp
