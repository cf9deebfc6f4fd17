"""Image-level labels from label PNGs ("with image-level labels", setting 2).

For every id of an id list this reads the label PNG ``<id>.png`` from the
first of ``--seg-dirs`` (under DATA_ROOT) that has one and writes the
foreground classes present (values 1..K-1; 0 background and 255 ignore are
left out) to one text file, a line per id, in the id list's order::

    2007_000032 1 15
    2007_000039 20
    2007_000063 8 12

``<id> <class> <class> ...``: classes are the label values (1 = aeroplane
for VOC), ascending, space-separated; an image with no foreground class is
a line with its id alone. ``LoadImageLevelLabels`` reads this file.

VOC: image-level labels of train_aug come from ``SegmentationClassAug``.
mmseg's ``voc_aug.py`` writes there only the SBD images, so the default
``--seg-dirs SegmentationClassAug SegmentationClass`` falls back to VOC's
own labels for train images SBD lacks. The same tool works for any id list
and PNG folder, e.g. COCO ids ``train2017/...`` with ``--seg-dirs
semantic81 --num-classes 81``.

Every PNG is located before any is read; a missing one, or a value that is
neither a class (< K) nor 255, fails naming the file.

Example:
    python tools/dataset_converters/voc_image_labels.py \\
        data/VOCdevkit/VOC2012 --nproc 2
"""
import argparse
import os
import os.path as osp
import sys
from functools import partial
from typing import Dict, List, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

IGNORE = 255
SHIPPED_TRAIN_AUG = osp.normpath(
    osp.join(
        osp.dirname(osp.abspath(__file__)), '..', '..', 'mmseg_pseudoseg',
        'data_splits', 'voc12', 'train_aug.txt'))


class InputError(Exception):
    """Bad input; the message names the file at fault."""


def read_ids(path: str) -> List[str]:
    if not osp.isfile(path):
        raise InputError(f'id list {path} does not exist')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def locate(data_root: str, ids: List[str],
           seg_dirs: List[str]) -> Tuple[List[str], Dict[str, int]]:
    """The first existing ``<seg_dir>/<id>.png`` per id, and how many came
    from each folder; fails naming the paths tried for ids without any."""
    paths, missing = [], []
    used = {d: 0 for d in seg_dirs}
    for i in ids:
        tried = [osp.join(data_root, d, f'{i}.png') for d in seg_dirs]
        found = [k for k, p in enumerate(tried) if osp.isfile(p)]
        if found:
            paths.append(tried[found[0]])
            used[seg_dirs[found[0]]] += 1
        else:
            missing.append(' or '.join(tried))
    if missing:
        raise InputError(f'{len(missing)} id(s) have no label PNG, e.g. '
                         f'{"; ".join(missing[:3])}')
    return paths, used


def foreground_classes(png_path: str, num_classes: int) -> Tuple[int, ...]:
    """Classes 1..K-1 present in one label PNG (0 and 255 left out)."""
    with Image.open(png_path) as png:
        values = np.unique(np.asarray(png))
    bad = [int(v) for v in values if v >= num_classes and v != IGNORE]
    if bad:
        raise InputError(f'{png_path} has values {bad[:5]} >= num_classes '
                         f'({num_classes}) that are not {IGNORE}')
    return tuple(int(v) for v in values if 0 < v < num_classes)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root', help='e.g. data/VOCdevkit/VOC2012')
    parser.add_argument(
        '--ids',
        default=SHIPPED_TRAIN_AUG,
        help='id list (default: the shipped voc12/train_aug.txt)')
    parser.add_argument(
        '--seg-dirs',
        nargs='+',
        default=['SegmentationClassAug', 'SegmentationClass'],
        help='label PNG folders under DATA_ROOT, first match wins')
    parser.add_argument(
        '--out',
        help='output file (default DATA_ROOT/ImageLabels/<ids name>.txt)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=21,
        help='K, classes including background (default 21)')
    parser.add_argument('--nproc', type=int, default=1)
    return parser.parse_args()


def main():
    args = parse_args()
    ids = read_ids(args.ids)
    out = args.out or osp.join(args.data_root, 'ImageLabels',
                               osp.basename(args.ids))
    paths, used = locate(args.data_root, ids, args.seg_dirs)
    for d, count in used.items():
        print(f'{count} labels from {osp.join(args.data_root, d)}')
    func = partial(foreground_classes, num_classes=args.num_classes)
    if args.nproc > 1:
        classes = track_parallel_progress(
            func, paths, args.nproc, chunksize=32)
    else:
        classes = track_progress(func, paths)
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    with open(out + '.tmp', 'w') as f:
        f.write(''.join(' '.join([i, *map(str, c)]) + '\n'
                        for i, c in zip(ids, classes)))
    os.replace(out + '.tmp', out)
    print(f'wrote {out}: image-level labels of {len(ids)} ids, '
          f'{sum(not c for c in classes)} without a foreground class')


if __name__ == '__main__':
    try:
        main()
    except InputError as e:
        sys.exit(f'error: {e}')
