"""Command-line plumbing shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp
from typing import List, Tuple

from mmengine.config import Config, DictAction

from .cpu_ddp import adapt_cfg_for_device


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add --work-dir, --cfg-options, --launcher and --local_rank."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
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


def load_cfg(args: argparse.Namespace) -> Tuple[Config, List[str]]:
    """Load ``args.config`` and apply the common arguments.

    Sets ``LOCAL_RANK`` if the launcher did not, merges ``--cfg-options``,
    picks the work dir (``--work-dir``, the config's, or
    ``work_dirs/<config name>``) and adapts distributed CPU runs (see
    :func:`adapt_cfg_for_device`).

    Returns:
        tuple[Config, list[str]]: The config and the notes of what the CPU
        adaptation changed.

    Raises:
        FileNotFoundError: Naming the config when it does not exist.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg, adapt_cfg_for_device(cfg, args.launcher != 'none')


def finish_distributed() -> None:
    """End a distributed run that finished: wait for every rank, tear the
    process group down and leave the process without interpreter shutdown.

    Left to interpreter shutdown, the process group outlives Python (the
    DDP wrapper still holds it after ``destroy_process_group``) and gloo's
    worker threads can be torn down while joinable: one rank then aborts
    ("terminate called without an active exception", exit -6) after a run
    that succeeded, and the launcher reports the whole run failed. We saw
    it in 3 of 8 CPU runs with the process group left alive and in 1 CI run
    after destroying it. Logs and standard streams are flushed first; the
    runner has already closed its visualizer backends (``after_run``).
    Does nothing (and returns) outside a distributed run.
    """
    import logging
    import sys

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# Added by tools/train.py (and the guard by tools/test.py) when a config
# does not configure them; a config that lists one keeps its settings.
RELIABILITY_HOOKS = (dict(type='NonFiniteGuardHook'),
                     dict(type='RNGStateHook'))


def add_reliability_hooks(cfg: Config, types: Tuple[str, ...] = (
        'NonFiniteGuardHook', 'RNGStateHook')) -> List[str]:
    """Append the reliability hooks named in ``types`` that
    ``cfg.custom_hooks`` lacks, with default settings.

    Returns:
        list[str]: The types added, for the log.
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    present = {h.get('type') for h in hooks if isinstance(h, dict)}
    present |= {type(h).__name__ for h in hooks if not isinstance(h, dict)}
    added = [
        dict(h) for h in RELIABILITY_HOOKS
        if h['type'] in types and h['type'] not in present
    ]
    cfg.custom_hooks = hooks + added
    return [h['type'] for h in added]


def use_atomic_checkpoints(cfg: Config) -> bool:
    """Make a config's plain ``CheckpointHook`` an ``AtomicCheckpointHook``
    (same arguments; checkpoints written through a temporary file and
    renamed, see its docstring). Other checkpoint hook types are kept.

    Returns:
        bool: Whether the hook was replaced, for the log.
    """
    hook = (cfg.get('default_hooks', None) or {}).get('checkpoint', None)
    if isinstance(hook, dict) and hook.get('type') == 'CheckpointHook':
        hook['type'] = 'AtomicCheckpointHook'
        return True
    return False
