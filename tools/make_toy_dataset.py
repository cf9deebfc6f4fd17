"""Write a built-in synthetic set (Pascal VOC layout) and its splits.

The toy shapes set (default) is the CPU demo's and the tests'; the toy
scenes set (``--scenes``) is the benchmark's (``tools/benchmark.py curve``
writes it itself when it is missing).

Examples:
    python tools/make_toy_dataset.py data/toy_shapes
    python tools/make_toy_dataset.py data/toy_scenes --scenes
"""
import argparse

from mmseg_pseudoseg.datasets.toy_scenes import make_toy_scenes
from mmseg_pseudoseg.datasets.toy_shapes import make_toy_dataset


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('root', help='output folder')
    parser.add_argument(
        '--scenes',
        action='store_true',
        help='the benchmark scenes set (patterned objects, clutter, '
        'lighting; 512 train / 256 val by default)')
    parser.add_argument(
        '--num-train', type=int, help='default 128 (--scenes: 512)')
    parser.add_argument(
        '--num-val', type=int, help='default 32 (--scenes: 256)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.scenes:
        kwargs = dict(num_train=args.num_train or 512,
                      num_val=args.num_val or 256)
        make_toy_scenes(args.root, seed=args.seed, **kwargs)
        extra = ' (and per split seed 0-9 under splits/seed*)'
    else:
        kwargs = dict(num_train=args.num_train or 128,
                      num_val=args.num_val or 32)
        make_toy_dataset(args.root, seed=args.seed, **kwargs)
        extra = ''
    print(f"wrote {kwargs['num_train']} train / {kwargs['num_val']} val "
          f'images and splits 1-2, 1-4, 1-8, 1-16{extra} under {args.root}')


if __name__ == '__main__':
    main()
