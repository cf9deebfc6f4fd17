"""Time per iteration and peak memory of a config's real training loop
(data loading, every hook, the optimiser step), read from what the runner
logs: mmengine's ``time`` and ``data_time`` (means over each logging
window) and, on CUDA, ``memory`` (``torch.cuda.max_memory_allocated`` in
MiB since the window before).

Two peaks are reported: after the warm-up (the steady state, what a
training run needs) and over the whole run. They differ by the first
iterations' cuDNN autotuning (``env_cfg.cudnn_benchmark=True`` in mmseg's
runtime), which tries algorithms with large workspaces and falls back to
smaller ones when memory is short, so it does not make a run fail.
"""
import copy
import os.path as osp
import statistics
import time
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg_pseudoseg.engine.utils import logged_train_scalars


def _segmentor(model: dict) -> dict:
    return model['segmentor'] if 'segmentor' in model else model


def timing_config(cfg: Config, iters: int, work_dir: str,
                  log_interval: int = 10) -> Config:
    """``cfg`` set up for a timing run of ``iters`` iterations: no
    validation, no checkpoints, logs every ``log_interval`` iterations
    averaged over that window, random initial weights (the ImageNet
    checkpoint changes no time and may not be downloadable)."""
    cfg = copy.deepcopy(cfg)
    seg = _segmentor(cfg.model)
    seg['pretrained'] = None
    backbone = seg.get('backbone', {})
    if (backbone.get('init_cfg') or {}).get('type') == 'Pretrained':
        backbone['init_cfg'] = None
    cfg.train_cfg.max_iters = iters
    # No validation (mmengine's loop validates at the last iteration
    # whatever the interval).
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=iters + 1,
        save_last=False)
    cfg.default_hooks.logger.interval = log_interval
    cfg.log_processor = dict(
        cfg.get('log_processor', {}), window_size=log_interval)
    cfg.work_dir = work_dir
    # The visualizer is an mmengine singleton by name: a second run in the
    # same process would log into the first run's folder under the
    # config's name ('visualizer'), so each timing run gets its own.
    if cfg.get('visualizer'):
        cfg.visualizer = dict(
            cfg.visualizer, name=f'benchmark_train_{time.time_ns()}')
    return cfg


def summarise_log(work_dir: str, warmup: int, run: str = '*') -> dict:
    """Mean ``time``/``data_time`` of the logged windows after ``warmup``
    iterations, the peak ``memory`` after ``warmup`` and over the whole
    run (None off CUDA). ``run``: the run's timestamp folder under
    ``work_dir`` (default: every run there, later ones overriding)."""
    rows = logged_train_scalars(work_dir, skip=(), runs=run)
    after = [r for it, r in sorted(rows.items()) if it > warmup]
    if not after:
        raise ValueError(f'no iterations logged after the {warmup} warm-up '
                         f'ones in {work_dir}: run more iterations')
    memory = [r['memory'] for r in after if 'memory' in r]
    memory_all = [r['memory'] for r in rows.values() if 'memory' in r]
    return dict(
        iters_measured=after[-1]['iter'] - warmup,
        windows=len(after),
        time=statistics.mean(r['time'] for r in after),
        time_sd=statistics.stdev(r['time']
                                 for r in after) if len(after) > 1 else 0.0,
        data_time=statistics.mean(r['data_time'] for r in after),
        peak_mib=max(memory) if memory else None,
        peak_mib_all=max(memory_all) if memory_all else None)


def bench_train(cfg: Config,
                iters: int,
                warmup: int,
                work_dir: str,
                log_interval: int = 10) -> dict:
    """Train ``cfg`` for ``iters`` iterations in this process (one GPU, or
    the CPU) and summarise its log; see :func:`summarise_log`."""
    if warmup >= iters:
        raise ValueError(f'--warmup {warmup} must be below --iters {iters}')
    runner = Runner.from_cfg(
        timing_config(cfg, iters, work_dir, log_interval))
    runner.train()
    # This run's log only: earlier runs in the same work_dir (other
    # settings, more iterations) must not leak into its figures.
    result = summarise_log(work_dir, warmup, osp.basename(runner.log_dir))
    result.update(
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu',
        batch=cfg.train_dataloader.batch_size,
        iters=iters,
        warmup=warmup,
        optim_wrapper=cfg.optim_wrapper.get('type', 'OptimWrapper'))
    return result


def format_train(result: dict, config: str,
                 baseline: Optional[dict] = None) -> str:
    """One line of numbers per run."""
    peak = result['peak_mib']
    line = (f"{config}: {result['device']}, {result['optim_wrapper']}, "
            f"batch {result['batch']} per GPU, {result['iters_measured']} "
            f"iterations after {result['warmup']} warm-up: "
            f"{result['time']:.3f} s/iter (sd over {result['windows']} "
            f"windows {result['time_sd']:.3f}), data {result['data_time']:.3f}"
            f" s/iter, peak memory "
            + (f"{peak / 1024:.2f} GiB after the warm-up, "
               f"{result['peak_mib_all'] / 1024:.2f} GiB with it"
               if peak is not None else 'n/a (CPU)'))
    if baseline is not None:
        line += f", time x{result['time'] / baseline['time']:.2f}"
        if peak is not None and baseline['peak_mib']:
            line += f", memory x{peak / baseline['peak_mib']:.2f}"
    return line
