"""Train a segmentor (PseudoSeg or a supervised baseline) from a config.

Same command line as mmseg's tools/train.py. Distributed runs on machines
without CUDA switch to gloo, a CPU DDP wrapper and BN (see
mmseg_pseudoseg.utils.adapt_cfg_for_device), so tools/dist_train.sh works on
CPU as well as on GPUs.

Reliability (docs/en/advanced_guides/reliability.md): unless the config
configures them, ``NonFiniteGuardHook`` (stop on a NaN/inf loss, gradient
or weight before it is stepped on or saved) and ``RNGStateHook`` (bit-exact
resume) are added.
A plain ``CheckpointHook`` becomes an ``AtomicCheckpointHook`` (same
arguments): a process killed while saving leaves no partial checkpoint.
``--resume`` resumes from the newest checkpoint in the work dir that reads,
and logs every newer one it skipped and why; ``load_from`` is checked before
the run starts.
"""
import argparse
import logging

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg_pseudoseg.utils.checkpoint import (check_checkpoint,
                                              find_resumable_checkpoint)
from mmseg_pseudoseg.utils.cli import (add_common_args, add_reliability_hooks,
                                       finish_distributed, load_cfg,
                                       use_atomic_checkpoints)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the newest readable checkpoint in the work_dir '
        '(or from load_from, if the config sets it)')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    add_common_args(parser)
    return parser.parse_args()


def choose_checkpoint(cfg, resume: bool) -> list:
    """Check ``load_from``, or pick the checkpoint ``--resume`` uses.

    Returns:
        list[tuple[int, str]]: (log level, message) pairs for the log.
    """
    load_from = cfg.get('load_from', None)
    if load_from:
        check_checkpoint(load_from, for_resume=resume)
        return []
    if not resume:
        return []
    path, notes = find_resumable_checkpoint(cfg.work_dir)
    messages = [(logging.WARNING, f'--resume: {note}') for note in notes]
    if path is not None:
        cfg.load_from = path
        level = logging.WARNING if notes else logging.INFO
        messages.append((level, f'--resume: resuming from {path}'))
    return messages


def main():
    args = parse_args()
    cfg, notes = load_cfg(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    added = add_reliability_hooks(cfg)
    atomic = use_atomic_checkpoints(cfg)
    messages = choose_checkpoint(cfg, args.resume)
    runner = Runner.from_cfg(cfg)
    for note in notes:
        print_log(f'CPU distributed run: {note}', 'current', logging.INFO)
    if added:
        print_log(
            f'tools/train.py: added {", ".join(added)} with default '
            'settings (not in the config)', 'current', logging.INFO)
    if atomic:
        print_log(
            'tools/train.py: default_hooks.checkpoint CheckpointHook -> '
            'AtomicCheckpointHook (same arguments; atomic saves)', 'current',
            logging.INFO)
    for level, message in messages:
        print_log(message, 'current', level)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
