"""Write the built-in synthetic toy set (Pascal VOC layout) and its splits.

Example: python tools/make_toy_dataset.py data/toy_shapes
"""
import argparse

from mmseg_pseudoseg.datasets.toy_shapes import make_toy_dataset


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', help='output folder')
    parser.add_argument('--num-train', type=int, default=128)
    parser.add_argument('--num-val', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    make_toy_dataset(
        args.root,
        num_train=args.num_train,
        num_val=args.num_val,
        seed=args.seed)
    print(f'wrote {args.num_train} train / {args.num_val} val images and '
          f'splits 1-2, 1-4, 1-8, 1-16 under {args.root}')


if __name__ == '__main__':
    main()
