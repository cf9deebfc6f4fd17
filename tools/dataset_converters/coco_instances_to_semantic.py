"""COCO 2017 instance masks -> 81-class semantic label PNGs and id lists.

PseudoSeg's COCO protocol (paper setting 3) trains an 81-class model:
background + the 80 thing classes, with semantic labels made from the
instance annotations. For each set (``train2017``, ``val2017``) this reads
``COCO_ROOT/annotations/instances_<set>.json`` and writes, for every image
the json lists, one single-channel PNG of the image's size to
``OUT_DIR/<set>/<stem>.png`` (default ``OUT_DIR = COCO_ROOT/semantic81``):

- 0: background, every pixel no instance covers;
- 1..K: the json's categories in ascending category-id order (COCO: the 80
  ids 1..90 with gaps -> 1..80, the order of ``COCO81Dataset``'s classes);
- 255 (ignore), two cases:
  * a pixel covered by non-crowd instances of two or more different
    categories: the annotation does not say which is in front (torchvision's
    COCO segmentation reference sets them to 255 too). Overlapping instances
    of one category keep that category.
  * a pixel inside a crowd region (``iscrowd=1``) that no non-crowd instance
    covers: crowd masks are coarse blobs over many objects and the gaps
    between them, so neither the class nor background is a reliable label
    (DeepLab's COCO panoptic converter ignores crowd pixels by default). With
    ``--crowd class`` crowd regions count as instances of their category
    instead. PseudoSeg's release ships only pre-made TFRecords, so its exact
    choice is not recoverable; record the option with your results.
- Images without annotations are all background (they stay in the lists,
  as in the release's 118,287-image train2017).

Id lists (the format of the shipped COCO lists, e.g.
``train2017/000000177254``; an id names the image ``COCO_ROOT/<id>.jpg`` and
the label ``OUT_DIR/<id>.png``), written to SPLITS_DIR (default
``COCO_ROOT/splits``): ``<set>.txt`` (sorted) for each set and, for each
labeled split (default: the shipped ``data_splits/coco/*_all.txt``),
``<name>/unlabeled.txt`` = train2017 ids minus the split's ids (sorted;
derived, never drawn).

Every input is checked before any PNG is written: each json must be a COCO
instances file whose annotations name known images and categories, train
and val must have the same categories, every listed image file must exist,
and every labeled split id must be a train2017 id. Errors name the file.

Resumable: an existing PNG that decodes fully, has the image's size and only
allowed values is kept; anything else (a truncated or stale file) is
written again, always to a temporary name first and then renamed. At the
end every listed image's PNG is checked again and a summary is printed.

Example:
    python tools/dataset_converters/coco_instances_to_semantic.py data/coco \\
        --nproc 8
"""
import argparse
import json
import os
import os.path as osp
import sys
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image
from pycocotools import mask as mask_utils

IGNORE = 255
SHIPPED_COCO_SPLITS = osp.normpath(
    osp.join(
        osp.dirname(osp.abspath(__file__)), '..', '..', 'mmseg_pseudoseg',
        'data_splits', 'coco'))

# (image file, PNG file, height, width, [(label, iscrowd, segmentation)])
Task = Tuple[str, str, int, int, list]


class InputError(Exception):
    """Bad input; the message names the file at fault."""


def decode_mask(segm, height: int, width: int) -> np.ndarray:
    """Decode a COCO segmentation (polygons, RLE or compressed RLE).

    Returns:
        np.ndarray: (height, width) bool mask.
    """
    if isinstance(segm, list) and not segm:  # no polygon at all
        return np.zeros((height, width), bool)
    if isinstance(segm, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    elif isinstance(segm.get('counts'), list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(segm, height, width)
    else:  # compressed RLE
        rle = segm
    return mask_utils.decode(rle).astype(bool)


def instances_to_semantic(instances: Sequence[tuple], height: int,
                          width: int, crowd: str) -> np.ndarray:
    """Merge instance masks into one label map (rules in the module doc).

    Args:
        instances (Sequence[tuple]): ``(label, iscrowd, segmentation)``
            with ``label`` in 1..254.
        height (int): Image height.
        width (int): Image width.
        crowd (str): ``'ignore'`` or ``'class'``.

    Returns:
        np.ndarray: (height, width) uint8 labels.
    """
    owner = np.zeros((height, width), np.uint8)  # first label seen, 0: none
    conflict = np.zeros((height, width), bool)
    crowd_area = np.zeros((height, width), bool)
    for label, iscrowd, segm in instances:
        mask = decode_mask(segm, height, width)
        if iscrowd and crowd == 'ignore':
            crowd_area |= mask
            continue
        conflict |= mask & (owner != 0) & (owner != label)
        owner[mask & (owner == 0)] = label
    seg = owner
    seg[crowd_area & (owner == 0)] = IGNORE
    seg[conflict] = IGNORE
    return seg


def check_png(png_path: str, height: int, width: int,
              num_labels: int) -> Optional[str]:
    """Why ``png_path`` is not a valid output, or None when it is."""
    if not osp.isfile(png_path):
        return 'missing'
    try:
        with Image.open(png_path) as png:
            png.load()
            mode, size, arr = png.mode, png.size, np.asarray(png)
    except (OSError, SyntaxError, ValueError) as e:
        return f'unreadable ({e})'
    if mode != 'L':
        return f'mode {mode}, not L'
    if size != (width, height):
        return f'{size[1]}x{size[0]}, not {height}x{width}'
    bad = np.setdiff1d(np.unique(arr), [*range(num_labels + 1), IGNORE])
    if bad.size:
        return f'values {bad[:5].tolist()} not in 0..{num_labels} or 255'
    return None


def convert_one(task: Task, crowd: str, num_labels: int) -> str:
    """Write one PNG unless a valid one exists; ``'written'``/``'kept'``."""
    img_path, png_path, height, width, instances = task
    if check_png(png_path, height, width, num_labels) is None:
        return 'kept'
    with Image.open(img_path) as img:
        if img.size != (width, height):
            raise InputError(
                f'{img_path} is {img.size[1]}x{img.size[0]} but its json '
                f'entry says {height}x{width}')
    seg = instances_to_semantic(instances, height, width, crowd)
    tmp = png_path + '.tmp'
    Image.fromarray(seg).save(tmp, format='PNG')  # uint8 2-D: mode L
    os.replace(tmp, png_path)
    return 'written'


def check_one(task: Task, num_labels: int) -> Optional[str]:
    img_path, png_path, height, width, _ = task
    reason = check_png(png_path, height, width, num_labels)
    return None if reason is None else f'{png_path}: {reason}'


def _require(cond: bool, json_path: str, msg: str) -> None:
    if not cond:
        raise InputError(f'{json_path}: {msg}')


def load_instances(json_path: str) -> Tuple[Dict[int, str], list]:
    """Read and check a COCO instances json.

    Returns:
        tuple[dict[int, str], list]: Category id -> name, and per image
        ``(file_name, height, width, [(category_id, iscrowd, segm)])``.

    Raises:
        InputError: Naming ``json_path`` when it is not a COCO instances
            file, or an annotation names an unknown image or category.
    """
    if not osp.isfile(json_path):
        raise InputError(f'{json_path} does not exist')
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f'{json_path} is not valid json: {e}') from None
    _require(
        isinstance(data, dict)
        and all(isinstance(data.get(k), list)
                for k in ('images', 'annotations', 'categories')),
        json_path, 'not a COCO instances file (needs lists "images", '
        '"annotations" and "categories")')
    _require(data['categories'], json_path, 'lists no categories')
    cats = {}
    for cat in data['categories']:
        _require('id' in cat and 'name' in cat, json_path,
                 f'category {cat} has no "id" or "name"')
        cats[cat['id']] = cat['name']
    _require(
        len(cats) < IGNORE, json_path,
        f'{len(cats)} categories do not fit labels 1..{IGNORE - 1}')
    images = {}
    for img in data['images']:
        _require(all(k in img for k in ('id', 'file_name', 'height', 'width')),
                 json_path, f'image entry {img} lacks id, file_name, '
                 'height or width')
        images[img['id']] = (img['file_name'], img['height'], img['width'],
                             [])
    for ann in data['annotations']:
        _require(
            'segmentation' in ann, json_path,
            f'annotation {ann.get("id")} has no "segmentation": not a COCO '
            'instances file (a panoptic, captions or keypoints file?)')
        _require(
            ann.get('category_id') in cats, json_path,
            f'annotation {ann.get("id")} names category_id '
            f'{ann.get("category_id")}, which is not among the json\'s '
            f'categories {sorted(cats)}')
        _require(
            ann.get('image_id') in images, json_path,
            f'annotation {ann.get("id")} names image_id '
            f'{ann.get("image_id")}, which is not among the json\'s images')
        images[ann['image_id']][3].append(
            (ann['category_id'], int(ann.get('iscrowd', 0)),
             ann['segmentation']))
    names = [v[0] for v in images.values()]
    _require(
        len(set(names)) == len(names), json_path,
        'lists some file_name twice')
    bad = [n for n in names if not n.endswith('.jpg')]
    _require(not bad, json_path,
             f'{bad[:3]}: COCO81Dataset expects .jpg images')
    return cats, list(images.values())


def make_tasks(root: str, out_dir: str, set_name: str, json_path: str,
               images: list, labels: Dict[int, int]) -> List[Task]:
    """Per-image work items; fails naming the missing image files."""
    tasks = []
    missing = []
    for file_name, height, width, anns in images:
        img_path = osp.join(root, set_name, file_name)
        if not osp.isfile(img_path):
            missing.append(img_path)
        stem = osp.splitext(file_name)[0]
        png_path = osp.join(out_dir, set_name, stem + '.png')
        instances = [(labels[c], crowd, s) for c, crowd, s in anns]
        tasks.append((img_path, png_path, height, width, instances))
    if missing:
        raise InputError(
            f'{len(missing)} image(s) listed in {json_path} do not exist, '
            f'e.g. {", ".join(missing[:3])}')
    return tasks


def write_ids(path: str, ids: Sequence[str]) -> None:
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        f.write(''.join(f'{i}\n' for i in ids))
    os.replace(path + '.tmp', path)


def read_ids(path: str) -> List[str]:
    if not osp.isfile(path):
        raise InputError(f'split file {path} does not exist')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _run(func, tasks, nproc):
    if nproc > 1:
        return track_parallel_progress(func, tasks, nproc, chunksize=16)
    return track_progress(func, tasks)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'coco_root', help='folder with annotations/ and <set>/ images')
    parser.add_argument(
        '--out-dir', help='label PNG folder (default COCO_ROOT/semantic81)')
    parser.add_argument(
        '--splits-dir', help='id list folder (default COCO_ROOT/splits)')
    parser.add_argument(
        '--sets', nargs='+', default=['train2017', 'val2017'])
    parser.add_argument(
        '--labeled-splits',
        nargs='+',
        metavar='FILE',
        help='labeled id lists to derive unlabeled lists for (default: the '
        'shipped data_splits/coco/*_all.txt)')
    parser.add_argument(
        '--crowd',
        choices=['ignore', 'class'],
        default='ignore',
        help='label of crowd regions no other instance covers (default '
        'ignore: 255)')
    parser.add_argument('--nproc', type=int, default=1)
    return parser.parse_args()


def main():
    args = parse_args()
    out_dir = args.out_dir or osp.join(args.coco_root, 'semantic81')
    splits_dir = args.splits_dir or osp.join(args.coco_root, 'splits')
    labeled_files = args.labeled_splits
    if labeled_files is None:
        if not osp.isdir(SHIPPED_COCO_SPLITS):
            raise InputError(f'{SHIPPED_COCO_SPLITS} does not exist; pass '
                             '--labeled-splits')
        labeled_files = sorted(
            osp.join(SHIPPED_COCO_SPLITS, f)
            for f in os.listdir(SHIPPED_COCO_SPLITS) if f.endswith('.txt'))

    # Check everything before writing anything.
    loaded = {}
    for set_name in args.sets:
        json_path = osp.join(args.coco_root, 'annotations',
                             f'instances_{set_name}.json')
        print(f'reading {json_path}', flush=True)
        loaded[set_name] = (json_path, *load_instances(json_path))
    (first, cats, _), *others = loaded.values()
    for json_path, other, _ in others:
        if other != cats:
            raise InputError(f'{json_path} and {first} have different '
                             'categories')
    labels = {cat: i + 1 for i, cat in enumerate(sorted(cats))}
    tasks = {
        s: make_tasks(args.coco_root, out_dir, s, json_path, images, labels)
        for s, (json_path, _, images) in loaded.items()
    }
    ids = {
        s: sorted(f'{s}/{osp.splitext(img[0])[0]}' for img in images)
        for s, (_, _, images) in loaded.items()
    }
    unlabeled = {}
    if 'train2017' in ids:
        train = set(ids['train2017'])
        for path in labeled_files:
            labeled = read_ids(path)
            stray = [i for i in labeled if i not in train]
            if stray:
                raise InputError(
                    f'{path}: {len(stray)} id(s) are not train2017 images '
                    f'of the json, e.g. {stray[:3]}')
            name = osp.splitext(osp.basename(path))[0]
            unlabeled[name] = sorted(train - set(labeled))
    else:
        print('train2017 is not among --sets: no unlabeled lists written')

    print(f'{len(cats)} categories -> labels 1..{len(cats)} '
          f'(ascending category id), crowd: {args.crowd}')
    for set_name, set_tasks in tasks.items():
        os.makedirs(osp.join(out_dir, set_name), exist_ok=True)
        print(f'{set_name}: converting {len(set_tasks)} images', flush=True)
        done = _run(
            partial(convert_one, crowd=args.crowd, num_labels=len(cats)),
            set_tasks, args.nproc)
        print(f'{set_name}: {done.count("written")} written, '
              f'{done.count("kept")} kept (already valid)')
        print(f'{set_name}: checking the PNGs', flush=True)
        problems = [
            p for p in _run(
                partial(check_one, num_labels=len(cats)), set_tasks,
                args.nproc) if p
        ]
        if problems:
            sys.exit(f'{set_name}: {len(problems)} bad PNG(s), e.g.\n' +
                     '\n'.join(problems[:10]))
        print(f'{set_name}: all {len(set_tasks)} PNGs in '
              f'{osp.join(out_dir, set_name)} have their image\'s size and '
              f'values in 0..{len(cats)} or 255')
        write_ids(osp.join(splits_dir, f'{set_name}.txt'), ids[set_name])
        print(f'wrote {osp.join(splits_dir, set_name + ".txt")}: '
              f'{len(ids[set_name])} ids')
    for name, rest in unlabeled.items():
        path = osp.join(splits_dir, name, 'unlabeled.txt')
        write_ids(path, rest)
        print(f'wrote {path}: {len(rest)} ids')


if __name__ == '__main__':
    try:
        main()
    except InputError as e:
        sys.exit(f'error: {e}')
