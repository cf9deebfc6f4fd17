"""Evaluate a checkpoint (PseudoSeg, or any mmseg segmentor) on the test set.

A stock mmseg checkpoint of the wrapped segmentor can be evaluated with a
PseudoSeg config too: PseudoSeg.predict is the segmentor's own.
"""
import argparse
import os
import os.path as osp

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg_pseudoseg.utils import adapt_cfg_for_device


def parse_args():
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='directory to save the predicted label maps')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    adapt_cfg_for_device(cfg, args.launcher != 'none')
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
