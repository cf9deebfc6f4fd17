"""Write deterministic PseudoSeg splits for Pascal VOC 2012.

Labeled: ceil(1464 / n) ids sampled (seeded) from
ImageSets/Segmentation/train.txt. Unlabeled: every other id of train.txt and
aug.txt (the 10582-image augmented set made by mmseg's voc_aug.py).
Writes DATA_ROOT/splits/1-{n}/{labeled,unlabeled}.txt, which the configs
read.

Example: python tools/make_voc_splits.py data/VOCdevkit/VOC2012 --seed 0
"""
import argparse
import os.path as osp

from mmseg_pseudoseg.datasets.splits import (make_splits, read_split,
                                             write_splits)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('data_root', help='VOC2012 folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--denominators', type=int, nargs='+', default=[2, 4, 8, 16])
    parser.add_argument(
        '--out-dir', help='defaults to DATA_ROOT/splits', default=None)
    args = parser.parse_args()
    seg_sets = osp.join(args.data_root, 'ImageSets', 'Segmentation')
    train = read_split(osp.join(seg_sets, 'train.txt'))
    aug = read_split(osp.join(seg_sets, 'aug.txt'))
    splits = make_splits(train, train + aug, args.denominators, args.seed)
    out_dir = args.out_dir or osp.join(args.data_root, 'splits')
    for path in write_splits(splits, out_dir):
        with open(path) as f:
            print(f'{path}: {sum(1 for _ in f)} ids')


if __name__ == '__main__':
    main()
