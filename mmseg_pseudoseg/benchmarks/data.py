"""Throughput of the data pipelines: can CPU augmentation feed a GPU?

Writes random images of Pascal VOC's sizes (500 x 375 or 375 x 500, smooth
colour fields with fine noise, JPEG quality 90) and palette label PNGs to a
temporary folder, builds the labeled and the unlabeled (weak + strong view)
pipelines of a config (the VOC base by default, crop 512) on them, and times
``dataset[i]`` in this process: one data-loader worker's rate. Also times
each transform of both pipelines on its own, so the expensive ones show.
"""
import copy
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List, Tuple

import cv2
import numpy as np
from mmseg.registry import DATASETS
from PIL import Image


def write_voc_like(root: str,
                   count: int,
                   num_classes: int = 21,
                   seed: int = 0) -> List[str]:
    """Write ``count`` VOC-sized random images and labels under ``root``
    (``JPEGImages``, ``SegmentationClass``, ``ids.txt``); returns the ids."""
    rng = np.random.default_rng(seed)
    for sub in ('JPEGImages', 'SegmentationClass'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    ids = []
    for i in range(count):
        h, w = (375, 500) if i % 3 else (500, 375)
        field = rng.uniform(0, 255, (h // 32 + 2, w // 32 + 2, 3))
        img = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
        img = np.clip(img + rng.normal(0, 12, (h, w, 3)), 0, 255)
        name = f'{i:06d}'
        cv2.imwrite(
            osp.join(root, 'JPEGImages', name + '.jpg'),
            img.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
        blocks = rng.integers(0, num_classes, (h // 64 + 1, w // 64 + 1))
        seg = cv2.resize(
            blocks.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        seg[cv2.Canny(seg, 0, 1) > 0] = 255
        label = Image.fromarray(seg, mode='P')
        label.save(osp.join(root, 'SegmentationClass', name + '.png'))
        ids.append(name)
    with open(osp.join(root, 'ids.txt'), 'w') as f:
        f.write(''.join(f'{i}\n' for i in ids))
    return ids


def _dataset(cfg: dict, root: str) -> object:
    cfg = copy.deepcopy(cfg)
    cfg.update(
        data_root=root,
        ann_file='ids.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        serialize_data=False)
    return DATASETS.build(cfg)


def time_items(dataset, count: int, warmup: int = 2) -> float:
    """Mean seconds per ``dataset[i]`` over ``count`` items."""
    for i in range(warmup):
        dataset[i % len(dataset)]
    start = time.perf_counter()
    for i in range(count):
        dataset[i % len(dataset)]
    return (time.perf_counter() - start) / count


def time_transforms(dataset, count: int) -> List[Tuple[str, float]]:
    """Mean seconds of each transform of ``dataset``'s pipeline, run in
    order on ``count`` items."""
    transforms = dataset.pipeline.transforms
    totals = [0.0] * len(transforms)
    for i in range(count):
        results = dataset.get_data_info(i % len(dataset))
        results = copy.deepcopy(results)
        for j, t in enumerate(transforms):
            start = time.perf_counter()
            results = t(results)
            totals[j] += time.perf_counter() - start
    names = [type(t).__name__ for t in transforms]
    return [(n, s / count) for n, s in zip(names, totals)]


def strong_view_parts(dataset) -> List[Tuple[str, object]]:
    """The transforms inside the pipeline's ``StrongView`` steps, if any."""
    parts = []
    for t in dataset.pipeline.transforms:
        if type(t).__name__ == 'StrongView':
            inner = getattr(t, 'transforms', None)
            inner = getattr(inner, 'transforms', inner)
            parts += [(type(x).__name__, x) for x in inner or []]
    return parts


def bench_data(labeled_cfg: dict,
               unlabeled_cfg: dict,
               images: int,
               items: int,
               seed: int = 0) -> Dict[str, object]:
    """Per-worker throughput of the labeled and unlabeled pipelines.

    Args:
        labeled_cfg (dict): Labeled dataset config (its pipeline is used).
        unlabeled_cfg (dict): Unlabeled dataset config (weak + strong).
        images (int): Random images to write.
        items (int): Items to time per pipeline.
        seed (int): Seed of the images and of the augmentations.

    Returns:
        dict: ``labeled_s`` and ``unlabeled_s`` (seconds per item, one
        process), ``labeled_parts`` / ``unlabeled_parts`` (per transform).
    """
    with tempfile.TemporaryDirectory(prefix='pseudoseg_data_') as root:
        write_voc_like(root, images, seed=seed)
        out = {}
        for name, cfg in (('labeled', labeled_cfg),
                          ('unlabeled', unlabeled_cfg)):
            np.random.seed(seed)
            dataset = _dataset(cfg, root)
            out[f'{name}_s'] = time_items(dataset, items)
            out[f'{name}_parts'] = time_transforms(dataset, items)
        dataset = _dataset(unlabeled_cfg, root)
        if strong_view_parts(dataset):
            out['strong_parts'] = _time_strong_parts(dataset, items)
    return out


def _time_strong_parts(dataset, count) -> List[Tuple[str, float]]:
    """Seconds of each op inside the ``StrongView`` steps of ``dataset``'s
    pipeline, each timed on the results the pipeline has at that step."""
    parts = strong_view_parts(dataset)
    totals = {id(t): 0.0 for _, t in parts}
    for i in range(count):
        results = copy.deepcopy(dataset.get_data_info(i % len(dataset)))
        for step in dataset.pipeline.transforms:
            if type(step).__name__ != 'StrongView':
                results = step(results)
                continue
            strong = dict(results, img=results[step.from_key].copy())
            for t in step.transforms.transforms:
                start = time.perf_counter()
                strong = t(strong)
                totals[id(t)] += time.perf_counter() - start
            results = step(results)
    return [(n, totals[id(t)] / count) for n, t in parts]


def format_data(result: dict, batch: int) -> str:
    """The data benchmark's tables as text."""
    lab, unl = result['labeled_s'], result['unlabeled_s']
    lines = [
        '| pipeline | ms / image | images / s per worker | x labeled |',
        '|---|---|---|---|',
        f'| labeled (load, scale, crop, flip) | {lab * 1e3:.1f} | '
        f'{1 / lab:.1f} | 1.00 |',
        f'| unlabeled (load, weak geometry, strong view) | {unl * 1e3:.1f} '
        f'| {1 / unl:.1f} | {unl / lab:.2f} |', '',
        f'per training step of B={batch} labeled + {batch} unlabeled images: '
        f'{batch * (lab + unl):.3f} worker-seconds (supervised: '
        f'{batch * lab:.3f}, x{(lab + unl) / lab:.2f}); a GPU step of T '
        f'seconds needs at least {batch * (lab + unl):.3f} / T workers', '',
        '| transform | labeled ms | unlabeled ms |', '|---|---|---|'
    ]
    lab_parts = dict(result['labeled_parts'])
    for name, s in result['unlabeled_parts']:
        other = f'{lab_parts[name] * 1e3:.2f}' if name in lab_parts else '-'
        lines.append(f'| {name} | {other} | {s * 1e3:.2f} |')
    for name, s in result['labeled_parts']:
        if name not in dict(result['unlabeled_parts']):
            lines.append(f'| {name} | {s * 1e3:.2f} | - |')
    for name, s in result.get('strong_parts', []):
        lines.append(f'| StrongView: {name} | - | {s * 1e3:.2f} |')
    return '\n'.join(lines)
