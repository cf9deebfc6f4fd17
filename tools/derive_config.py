"""Write a copy of a config with the crop size and/or data root changed
everywhere they are used.

A child config that redefines ``crop_size`` or ``data_root`` changes only
that variable (mmengine resolves a base's variables when the base loads).
This tool loads CONFIG, writes the new crop into the model's preprocessor,
the training pipelines' ``RandomCrop`` and ``CutOut`` (box scaled with the
crop) and the top-level ``crop_size``, and the new root into every
``data_root``, then dumps the whole config to OUT, ready for
``tools/train.py``::

    python tools/derive_config.py configs/pseudoseg/voc_1-8.py \\
        work_dirs/voc_1-8_321.py --crop-size 321 321
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from mmseg_pseudoseg.datasets import set_data_root
from mmseg_pseudoseg.utils.config_checks import check_config
from mmseg_pseudoseg.utils.custom_data import set_crop_size


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write CONFIG with another crop size / data root')
    parser.add_argument('config', help='config file to derive from')
    parser.add_argument('out', help='path of the derived config (.py)')
    parser.add_argument(
        '--crop-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='training crop, set in the preprocessor, RandomCrop, CutOut')
    parser.add_argument(
        '--data-root', help='set as the data_root of every dataset')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='other overrides, key=value, applied last')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    if not args.out.endswith('.py'):
        raise ValueError(f'OUT must be a .py file, got {args.out}')
    cfg = Config.fromfile(args.config)
    changed = []
    if args.crop_size is not None:
        changed += set_crop_size(cfg, args.crop_size)
        if cfg.get('crop_size') is not None:
            cfg.crop_size = tuple(args.crop_size)
            changed.append('crop_size')
        if not changed:
            raise ValueError(f'{args.config} sets no crop size to change '
                             '(no preprocessor size, RandomCrop or CutOut)')
    if args.data_root is not None:
        count = set_data_root(cfg._cfg_dict, args.data_root)
        if not count:
            raise ValueError(f'{args.config} has no data_root to change')
        changed.append(f'{count} data_root keys')
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
        changed += sorted(args.cfg_options)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cfg.dump(args.out)
    print(f'wrote {args.out}; changed: ' + ', '.join(changed or ['nothing']))
    for problem in check_config(cfg):
        print(f'warning: {args.out}: {problem}')


if __name__ == '__main__':
    main()
