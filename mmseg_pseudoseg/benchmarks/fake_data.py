"""A fake data layout for a config: random images (and label maps) for
every id its split lists name, where its datasets look for them.

For timing and memory runs of the real configs (the whole training loop,
data pipeline included) where the data set is not at hand. The images are
smooth random colour fields with noise at a VOC-like size (500 x 375,
either orientation), the label maps random blocks of classes with an
ignore (255) band; nothing learnt on them means anything.

Every data root written holds a marker file; a root that has files but no
marker is refused, so real data is never overwritten.
"""
import inspect
import os
import os.path as osp
import zlib
from multiprocessing import Pool
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmseg.registry import DATASETS

from mmseg_pseudoseg.datasets.splits import read_split
from mmseg_pseudoseg.utils.config_checks import (dataset_classes,
                                                 iter_all_datasets, iter_typed)

MARKER = 'FAKE_DATA_written_by_tools_benchmark.txt'


def _suffixes(dataset: dict) -> Tuple[str, str]:
    """(img_suffix, seg_map_suffix) of a dataset config: its own keys, else
    the defaults of its registered class's ``__init__``."""
    cls = DATASETS.get(dataset['type']) if isinstance(dataset['type'],
                                                      str) else dataset['type']
    defaults = {}
    if cls is not None:
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if p.default is not inspect.Parameter.empty:
                defaults[name] = p.default
    img = dataset.get('img_suffix', defaults.get('img_suffix', '.jpg'))
    seg = dataset.get('seg_map_suffix',
                      defaults.get('seg_map_suffix', '.png'))
    return img, seg


def _draw(sample_id: str, size: Tuple[int, int], num_classes: int,
          with_label: bool) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """An image (and label map) seeded by the id: the same id, the same
    pixels."""
    rng = np.random.default_rng(zlib.crc32(sample_id.encode()))
    w, h = size if rng.random() < 0.75 else size[::-1]
    coarse = rng.integers(0, 256, (max(h // 25, 2), max(w // 25, 2), 3))
    img = cv2.resize(coarse.astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    img += rng.normal(0, 12, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if not with_label:
        return img, None
    blocks = rng.integers(0, num_classes, (max(h // 60, 2), max(w // 60, 2)))
    seg = cv2.resize(blocks.astype(np.uint8), (w, h),
                     interpolation=cv2.INTER_NEAREST)
    seg[:, :4] = 255  # an ignore band, as VOC's object boundaries
    return img, seg


def _write_one(job: tuple) -> None:
    sample_id, img_path, seg_path, size, num_classes = job
    img, seg = _draw(sample_id, size, num_classes, seg_path is not None)
    os.makedirs(osp.dirname(img_path), exist_ok=True)
    if not cv2.imwrite(img_path, img):
        raise OSError(f'could not write {img_path}')
    if seg_path is not None:
        os.makedirs(osp.dirname(seg_path), exist_ok=True)
        if not cv2.imwrite(seg_path, seg):
            raise OSError(f'could not write {seg_path}')


def _check_root(root: str) -> None:
    if osp.isdir(root) and os.listdir(root) and \
            not osp.isfile(osp.join(root, MARKER)):
        raise FileExistsError(
            f'{root} exists and holds files that fake-data did not write '
            f'(no {MARKER}): refusing to write random images into what may '
            'be a real data set; point the config at another data_root')


def _listed(cfg) -> Iterator[tuple]:
    """Per train/val/test dataset of ``cfg``: ``(key, dataset config,
    data_root, files)``, ``files`` holding ``(id, image path, label path
    or None)`` for every id the split list names.

    Raises:
        FileNotFoundError: A dataset without a readable ``ann_file``,
            naming its config key.
    """
    for key, ds in iter_all_datasets(cfg):
        root = ds.get('data_root', '') or ''
        ann = osp.join(root, ds.get('ann_file', '') or '')
        if not ds.get('ann_file') or not osp.isfile(ann):
            raise FileNotFoundError(
                f'{key}.ann_file: {ann!r} is not a file; fake-data writes '
                'the ids a split list names (for COCO, run the converter '
                'for the lists first)')
        prefix = ds.get('data_prefix', {})
        img_suffix, seg_suffix = _suffixes(ds)
        seg_dir = prefix.get('seg_map_path')
        files = [(i, osp.join(root, prefix.get('img_path', ''),
                              i + img_suffix),
                  None if seg_dir is None else osp.join(
                      root, seg_dir, i + seg_suffix))
                 for i in read_split(ann)]
        yield key, ds, root, files


def write_fake_layout(cfg,
                      size: Tuple[int, int] = (500, 375),
                      workers: Optional[int] = None) -> Dict[str, int]:
    """Write random images and label maps for every id listed by the
    train, val and test datasets of ``cfg`` (an mmengine Config).

    Args:
        cfg: The config; its datasets' ``data_root``, ``data_prefix``,
            ``ann_file`` and suffixes say where each file goes; label maps
            are written where ``data_prefix.seg_map_path`` is set, image
            labels where a pipeline has ``LoadImageLevelLabels``.
        size (tuple[int, int]): (W, H) of the images; a quarter of them
            are transposed (VOC has both orientations).
        workers (int, optional): Processes; default: all cores.

    Returns:
        dict: Files written by kind (``images``, ``labels``,
        ``image_labels``).

    Raises:
        FileNotFoundError: A dataset without a readable ``ann_file``,
            naming its config key.
        FileExistsError: A data root holding files not written by this
            function.
    """
    jobs: Dict[str, list] = {}
    image_labels: Dict[str, Dict[str, int]] = {}
    roots = set()
    for key, ds, root, files in _listed(cfg):
        classes, _ = dataset_classes(ds)
        if classes is None:
            raise ValueError(f'{key}: unknown classes of type {ds["type"]!r}')
        roots.add(root)
        for sample_id, img_path, seg_path in files:
            old = jobs.get(img_path)
            if old is None or (old[2] is None and seg_path is not None):
                jobs[img_path] = [
                    sample_id, img_path, seg_path, tuple(size),
                    len(classes)
                ]
        for _, t in iter_typed(ds.get('pipeline', []), f'{key}.pipeline'):
            if t.get('type') == 'LoadImageLevelLabels':
                image_labels.setdefault(t['label_file'], {}).update(
                    {f[0]: t['num_classes']
                     for f in files})
    for root in sorted(roots):
        _check_root(root)
    for root in sorted(roots):
        os.makedirs(root, exist_ok=True)
        with open(osp.join(root, MARKER), 'w') as f:
            f.write('Random images and label maps for timing runs, written by '
                    '`tools/benchmark.py fake-data`; not a data set.\n')
    todo = [tuple(j) for j in jobs.values()]
    with Pool(workers or os.cpu_count() or 1) as pool:
        for _ in pool.imap_unordered(_write_one, todo, chunksize=64):
            pass
    for path, ids in image_labels.items():
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        with open(path, 'w') as f:
            for sample_id, num_classes in ids.items():
                rng = np.random.default_rng(zlib.crc32(sample_id.encode()))
                present = sorted(
                    set(rng.integers(1, num_classes, 2).tolist()))
                f.write(' '.join([sample_id] + [str(c)
                                                for c in present]) + '\n')
    return dict(
        images=len(todo),
        labels=sum(j[2] is not None for j in todo),
        image_labels=sum(len(v) for v in image_labels.values()))


def listed_files(cfg) -> List[str]:
    """Every image and label path the config's split lists name (for
    tests and checks)."""
    return [
        path for *_, files in _listed(cfg) for _, img, seg in files
        for path in (img, seg) if path is not None
    ]
