"""Evaluate a checkpoint (PseudoSeg, or any mmseg segmentor) on the test set.

A stock mmseg checkpoint of the wrapped segmentor can be evaluated with a
PseudoSeg config too: PseudoSeg.predict is the segmentor's own.

The checkpoint is checked before the run (an unreadable file is named, with
the reason), and ``NonFiniteGuardHook`` is added unless the config has it:
weights holding NaN or inf stop the test instead of giving a mIoU.
"""
import argparse

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.runner import Runner
from mmseg_pseudoseg.utils.checkpoint import check_checkpoint
from mmseg_pseudoseg.utils.cli import (add_common_args, add_reliability_hooks,
                                       finish_distributed, load_cfg)


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
    check_checkpoint(args.checkpoint)
    cfg, _ = load_cfg(args)
    cfg.load_from = args.checkpoint
    add_reliability_hooks(cfg, types=('NonFiniteGuardHook', ))
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    Runner.from_cfg(cfg).test()
    finish_distributed()


if __name__ == '__main__':
    main()
