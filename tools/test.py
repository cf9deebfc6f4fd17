"""Evaluate a checkpoint (PseudoSeg, or any mmseg segmentor) on the test set.

A stock mmseg checkpoint of the wrapped segmentor can be evaluated with a
PseudoSeg config too: PseudoSeg.predict is the segmentor's own.
"""
import argparse
import os.path as osp

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.runner import Runner
from mmseg_pseudoseg.utils.cli import (add_common_args, finish_distributed,
                                       load_cfg)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='directory to save the predicted label maps')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg, _ = load_cfg(args)
    cfg.load_from = args.checkpoint
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    Runner.from_cfg(cfg).test()
    finish_distributed()


if __name__ == '__main__':
    main()
