"""Split lists: the shipped standard ones, and seeded ones for custom sets.

The standard lists of the paper's protocols (Pascal VOC 2012 and COCO 2017)
ship as package data under ``mmseg_pseudoseg/data_splits/`` (see its
README); :func:`split_path` finds them. :func:`make_splits` and
:func:`write_splits` draw and write seeded splits for a custom data set
(``tools/make_custom_splits.py``); never use them for VOC or COCO, whose
published numbers rest on the shipped lists.
"""
import math
import os
import os.path as osp
import random
from typing import Dict, Iterable, List, Sequence, Tuple

SPLITS_ROOT = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'data_splits')


def split_path(name: str) -> str:
    """Absolute path of a shipped split list.

    Args:
        name (str): The list's path under ``data_splits/``, e.g.
            ``'voc12/92/labeled.txt'`` or ``'coco/512_all.txt'``.

    Returns:
        str: The absolute path of an existing file.

    Raises:
        FileNotFoundError: Naming ``name`` and listing what the deepest
            existing folder on its path holds.
    """
    parts = name.replace('\\', '/').split('/')
    if osp.isabs(name) or '..' in parts:
        raise ValueError(f'split name {name!r} must be a path relative to '
                         f'{SPLITS_ROOT} without ".."')
    path = osp.join(SPLITS_ROOT, *parts)
    if osp.isfile(path):
        return path
    known = SPLITS_ROOT
    for part in parts[:-1]:
        if not osp.isdir(osp.join(known, part)):
            break
        known = osp.join(known, part)
    entries = sorted(
        e + ('/' if osp.isdir(osp.join(known, e)) else '')
        for e in os.listdir(known) if not e.startswith(('.', '_')))
    where = osp.relpath(known, SPLITS_ROOT).replace(os.sep, '/')
    where = '' if where == '.' else where + '/'
    raise FileNotFoundError(
        f'no shipped split list {name!r} (looked for {path}); '
        f'data_splits/{where} holds: {", ".join(entries)}')


def list_splits() -> List[str]:
    """Names (as :func:`split_path` takes them) of every shipped list.

    Returns:
        list[str]: Sorted ``'<dir>/<file>.txt'`` names.
    """
    names = []
    for folder, _, files in os.walk(SPLITS_ROOT):
        rel = osp.relpath(folder, SPLITS_ROOT)
        for f in files:
            if f.endswith('.txt'):
                name = f if rel == '.' else osp.join(rel, f)
                names.append(name.replace(os.sep, '/'))
    return sorted(names)


def read_split(path: str) -> List[str]:
    """Read image ids, one per line, skipping blank lines.

    Raises:
        FileNotFoundError: Naming ``path`` when it does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path} does not exist')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def make_splits(labeled_pool: Sequence[str], unlabeled_pool: Iterable[str],
                denominators: Sequence[int],
                seed: int) -> Dict[int, Tuple[List[str], List[str]]]:
    """Sample ``ceil(len(labeled_pool) / n)`` labeled ids per denominator.

    Sampling is from the sorted pool with ``random.Random(seed)``, so the
    result depends only on the ids and the seed. Each denominator draws from
    a generator seeded with ``seed`` and ``n``, so adding a split does not
    change the others.

    Args:
        labeled_pool (Sequence[str]): Ids that have pixel labels.
        unlabeled_pool (Iterable[str]): All training ids; minus the labeled
            ones they form the unlabeled set.
        denominators (Sequence[int]): E.g. (2, 4, 8, 16).
        seed (int): Random seed.

    Returns:
        dict[int, tuple[list[str], list[str]]]: Sorted (labeled, unlabeled)
        ids per denominator.
    """
    pool = sorted(set(labeled_pool))
    if not pool:
        raise ValueError('the labeled pool is empty')
    everything = set(unlabeled_pool) | set(pool)
    splits = {}
    for n in denominators:
        if n < 1:
            raise ValueError(f'split denominators must be >= 1, got {n}')
        k = math.ceil(len(pool) / n)
        labeled = sorted(random.Random(f'{seed}-{n}').sample(pool, k))
        unlabeled = sorted(everything - set(labeled))
        splits[n] = (labeled, unlabeled)
    return splits


def write_splits(splits: Dict[int, Tuple[List[str], List[str]]],
                 out_dir: str) -> List[str]:
    """Write ``out_dir/1-{n}/{labeled,unlabeled}.txt`` for every split.

    Returns:
        list[str]: The written paths.
    """
    written = []
    for n, (labeled, unlabeled) in sorted(splits.items()):
        split_dir = osp.join(out_dir, f'1-{n}')
        os.makedirs(split_dir, exist_ok=True)
        for name, ids in (('labeled', labeled), ('unlabeled', unlabeled)):
            path = osp.join(split_dir, f'{name}.txt')
            with open(path, 'w') as f:
                f.write(''.join(f'{i}\n' for i in ids))
            written.append(path)
    return written
