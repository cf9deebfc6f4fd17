"""When the unsupervised loss is switched on, and what pseudo labels look
like while training."""
import json
import math
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...models.utils.pl_quality import (summarise_confusion,
                                        summarise_image_labels)
from ..utils import unwrap_model

RAMP_TYPES = ('sigmoid', 'linear')


def unsup_ramp(it: int, warmup_iters: int, rampup_iters: int,
               rampup_type: str = 'sigmoid') -> float:
    """Ramp factor in [0, 1] for iteration ``it`` (0-based).

    0 during the first ``warmup_iters`` iterations, then over
    ``rampup_iters`` iterations either ``exp(-5 (1 - t)^2)`` (the sigmoid
    ramp of Laine & Aila, 2017) or ``t``, with ``t`` going from 0 to 1, and 1
    afterwards.
    """
    if rampup_type not in RAMP_TYPES:
        raise ValueError(f'rampup_type must be one of {RAMP_TYPES}, '
                         f'got {rampup_type!r}')
    if it < warmup_iters:
        return 0.0
    if rampup_iters <= 0:
        return 1.0
    t = min(1.0, (it - warmup_iters) / rampup_iters)
    if rampup_type == 'linear':
        return t
    return math.exp(-5.0 * (1.0 - t)**2)


@HOOKS.register_module()
class PseudoLabelFusionHook(Hook):
    """Unsupervised-weight schedule and pseudo-label statistics.

    Before every training iteration it sets the model's unsupervised ramp
    factor (:func:`unsup_ramp`); the model multiplies its ``unsup_weight`` by
    it. Every ``log_interval`` iterations it logs the pseudo labels of the
    iterations since the last log: mean confidence, ratio of valid pixels,
    and the class histogram (fraction of valid pixels per class), summed
    over all processes. The histogram also goes to the message hub as info
    ``pseudo_label/class_hist`` and the scalars as ``train/pl_*``.

    The model must provide ``set_unsup_scale(float)`` and
    ``pseudo_label_stats() -> dict`` (``PseudoSeg`` does).

    Args:
        warmup_iters (int): Iterations with the unsupervised loss off.
            Defaults to 0.
        rampup_iters (int): Iterations to ramp it from 0 to full weight.
            Defaults to 0 (no ramp, the paper's setting).
        rampup_type (str): 'sigmoid' or 'linear'. Defaults to 'sigmoid'.
        log_interval (int): Logging period in iterations. Defaults to 50.
        class_names (Sequence[str], optional): Names for the histogram;
            defaults to the dataset's classes.
    """
    priority = 'NORMAL'

    def __init__(self,
                 warmup_iters: int = 0,
                 rampup_iters: int = 0,
                 rampup_type: str = 'sigmoid',
                 log_interval: int = 50,
                 class_names: Optional[Sequence[str]] = None) -> None:
        if warmup_iters < 0 or rampup_iters < 0:
            raise ValueError('PseudoLabelFusionHook: warmup_iters and '
                             'rampup_iters must be >= 0, got '
                             f'{warmup_iters}, {rampup_iters}')
        if log_interval < 1:
            raise ValueError('PseudoLabelFusionHook.log_interval must be '
                             f'>= 1, got {log_interval}')
        unsup_ramp(0, 0, 1, rampup_type)  # validates rampup_type
        self.warmup_iters = warmup_iters
        self.rampup_iters = rampup_iters
        self.rampup_type = rampup_type
        self.log_interval = log_interval
        self.class_names = class_names
        self._sums = None

    def before_train(self, runner) -> None:
        model = unwrap_model(runner)
        for name in ('set_unsup_scale', 'pseudo_label_stats'):
            if not callable(getattr(model, name, None)):
                raise TypeError(
                    f'PseudoLabelFusionHook needs model.{name}(); '
                    f'{type(model).__name__} has none (use PseudoSeg)')
        if self.class_names is None:
            self.class_names = runner.train_dataloader.dataset.metainfo.get(
                'classes')
        self._sums = None

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        scale = unsup_ramp(runner.iter, self.warmup_iters,
                           self.rampup_iters, self.rampup_type)
        unwrap_model(runner).set_unsup_scale(scale)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        stats = unwrap_model(runner).pseudo_label_stats()
        if not stats:
            return
        if self._sums is None:
            self._sums = {}
        for key, value in stats.items():
            if key not in self._sums:
                self._sums[key] = torch.zeros_like(value)
            self._sums[key] += value
        if self.every_n_train_iters(runner, self.log_interval):
            self._log(runner)

    def _log(self, runner) -> None:
        sums = self._sums
        self._sums = None
        for value in sums.values():
            all_reduce(value)  # no-op when not distributed
        valid = sums['valid_pixels'].clamp_min(1)
        conf = (sums['conf_sum'] / valid).item()
        ratio = (sums['valid_pixels'] /
                 sums['total_pixels'].clamp_min(1)).item()
        hist = (sums['class_hist'] / valid).tolist()
        names = self.class_names or [str(i) for i in range(len(hist))]
        runner.message_hub.update_scalar('train/pl_mean_conf', conf)
        runner.message_hub.update_scalar('train/pl_valid_ratio', ratio)
        runner.message_hub.update_info('pseudo_label/class_hist', hist)
        text = ', '.join(f'{n}={h:.3f}' for n, h in zip(names, hist))
        runner.logger.info(
            f'Iter(train) [{runner.iter + 1}] pseudo labels: '
            f'mean_conf={conf:.4f} valid_ratio={ratio:.4f} '
            f'class_hist: {text}')
        self._log_quality(runner, sums, names)

    def _log_quality(self, runner, sums: dict, names: Sequence[str]) -> None:
        """Where the model counted them (the unlabeled images carry labels,
        as in the benchmarks): per source, the pseudo labels' mIoU and mean
        share of foreground pixels labelled background as scalars
        (``train/pl_miou_<source>``, ``train/pl_fg_to_bg_<source>``), and
        per class IoU, recall, share to background and the classifier's
        image-label precision/recall as one JSON line of
        ``<log_dir>/pseudo_label_quality.jsonl``."""
        sources = sorted(k[len('quality_'):] for k in sums
                         if k.startswith('quality_'))
        if not sources:
            return
        record = dict(iter=runner.iter + 1, classes=list(names))
        for src in sources:
            summary = summarise_confusion(sums[f'quality_{src}'])
            record[src] = summary
            iou = [v for v, n in zip(summary['iou'], summary['pixels'])
                   if n > 0]
            to_bg = [v for v, n in zip(summary['to_background'][1:],
                                       summary['pixels'][1:]) if n > 0]
            if iou:
                runner.message_hub.update_scalar(f'train/pl_miou_{src}',
                                                 sum(iou) / len(iou))
            if to_bg:
                runner.message_hub.update_scalar(f'train/pl_fg_to_bg_{src}',
                                                 sum(to_bg) / len(to_bg))
        if 'image_label_counts' in sums:
            record['classifier'] = summarise_image_labels(
                sums['image_label_counts'])
        if is_main_process():
            path = osp.join(runner.log_dir, 'pseudo_label_quality.jsonl')
            with open(path, 'a') as f:
                f.write(json.dumps(record) + '\n')
