"""Train a segmentor (PseudoSeg or a supervised baseline) from a config.

Same command line as mmseg's tools/train.py. Distributed runs on machines
without CUDA switch to gloo, a CPU DDP wrapper and BN (see
mmseg_pseudoseg.utils.adapt_cfg_for_device), so tools/dist_train.sh works on
CPU as well as on GPUs.
"""
import argparse
import logging

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg_pseudoseg.utils.cli import (add_common_args, finish_distributed,
                                       load_cfg)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg, notes = load_cfg(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    runner = Runner.from_cfg(cfg)
    for note in notes:
        print_log(f'CPU distributed run: {note}', 'current', logging.INFO)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
