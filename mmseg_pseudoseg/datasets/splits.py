"""Deterministic labeled/unlabeled split files.

The paper subsamples 1/2, 1/4, 1/8 and 1/16 of the 1,464 VOC12 ``train``
images as labeled data; the unlabeled set is the rest of the 10,582-image
augmented set (``train`` + ``aug``).
"""
import math
import os
import os.path as osp
import random
from typing import Dict, Iterable, List, Sequence, Tuple


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
