"""Draw seeded labeled/unlabeled splits for a CUSTOM data set.

Not for Pascal VOC or COCO: published numbers rest on the standard lists
that ship with the package (``mmseg_pseudoseg/data_splits/``, see its
README and ``mmseg_pseudoseg.datasets.split_path``); draw nothing for them.

For each denominator n, ceil(len(pool) / n) ids are drawn (seeded, from the
sorted pool) from LABELED_POOL, the ids that have pixel labels. The
unlabeled set is every other id of the pool and of the ``--all-ids`` files.
Writes OUT_DIR/1-{n}/{labeled,unlabeled}.txt and prints one line per file.

Example:
    python tools/make_custom_splits.py data/my/train_fine.txt data/my/splits \\
        --all-ids data/my/train_fine.txt data/my/train_extra.txt \\
        --denominators 2 4 8 16 --seed 0
"""
import argparse

from mmseg_pseudoseg.datasets.splits import (make_splits, read_split,
                                             write_splits)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'labeled_pool', help='id list of the images that have pixel labels')
    parser.add_argument('out_dir', help='folder for the 1-{n} split folders')
    parser.add_argument(
        '--all-ids',
        nargs='+',
        default=[],
        metavar='FILE',
        help='id lists of every training image; the unlabeled set is these '
        'and the pool, minus the labeled ids (default: the pool only)')
    parser.add_argument(
        '--denominators', type=int, nargs='+', default=[2, 4, 8, 16])
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    pool = read_split(args.labeled_pool)
    everything = [i for path in args.all_ids for i in read_split(path)]
    splits = make_splits(pool, everything or pool, args.denominators,
                         args.seed)
    for path in write_splits(splits, args.out_dir):
        print(f'{path}: {len(read_split(path))} ids')


if __name__ == '__main__':
    main()
