"""Train a segmentor (PseudoSeg or a supervised baseline) from a config.

Same command line as mmseg's tools/train.py. Distributed runs on machines
without CUDA switch to gloo, a CPU DDP wrapper and BN (see
mmseg_pseudoseg.utils.adapt_cfg_for_device), so tools/dist_train.sh works on
CPU as well as on GPUs.
"""
import argparse
import logging
import os
import os.path as osp

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg_pseudoseg.utils import adapt_cfg_for_device


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (or --local_rank).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    notes = adapt_cfg_for_device(cfg, args.launcher != 'none')

    runner = Runner.from_cfg(cfg)
    for note in notes:
        print_log(f'CPU distributed run: {note}', 'current', logging.INFO)
    runner.train()


if __name__ == '__main__':
    main()
