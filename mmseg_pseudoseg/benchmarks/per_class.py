"""Per-class scores of the curve's trained models, over seeds.

A mean IoU hides which classes a method gets right. For every run of a
``curve`` results file this scores the run's final checkpoint on the
validation set of its config (the set the curve's mIoU was measured on) as
a confusion matrix, then reports per (method, fraction): the mean +- std
over seeds of each class's IoU, the mean share of each class's pixels
predicted as each class (rows of the row-normalised confusion matrix), and
how many runs almost never predict some class (a collapsed class). The
mIoU recomputed from the confusion matrix is compared with the one the run
logged, so a mismatch in what is scored shows.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from ..evaluation import confusion_matrix, mean_std, scores_from_confusion

# A class whose IoU is below this (in %) in a run counts as collapsed.
COLLAPSED_IOU = 5.0


@torch.no_grad()
def val_confusion(model, dataloader, num_classes: int) -> torch.Tensor:
    """(K, K) confusion counts (rows ground truth) of ``model``'s
    predictions on ``dataloader``, as mmseg's validation loop scores them
    (``val_step``, predictions at the original image size)."""
    model.eval()
    cm = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for data in dataloader:
        for sample in model.val_step(data):
            cm += confusion_matrix(sample.pred_sem_seg.data.cpu(),
                                   sample.gt_sem_seg.data.cpu(), num_classes)
    return cm


def summarise_per_class(runs: Sequence[dict],
                        confusions: Dict[str, np.ndarray]) -> List[dict]:
    """Group runs by (kind, denominator) and summarise their confusions.

    Args:
        runs (Sequence[dict]): Curve results (``key``, ``kind``,
            ``denominator``, ``seed``, ``miou``).
        confusions (dict): Run key -> (K, K) confusion counts.

    Returns:
        list[dict]: Per group, sorted by kind then fraction: ``kind``,
        ``denominator``, ``seeds``, ``iou`` (per class mean/std in %),
        ``rows`` (K x K mean row-normalised confusion), ``collapsed``
        (runs with a class IoU below :data:`COLLAPSED_IOU`) and
        ``miou_gap`` (largest |recomputed - logged| mIoU, in points).
    """
    groups: Dict[Tuple[str, int], List[dict]] = {}
    for run in runs:
        if run['key'] in confusions:
            groups.setdefault((run['kind'], run['denominator']),
                              []).append(run)
    out = []
    for (kind, n), members in sorted(groups.items(),
                                     key=lambda kv: (kv[0][0], -kv[0][1])):
        members.sort(key=lambda r: r['seed'])
        ious, rows, gaps = [], [], []
        for run in members:
            cm = torch.as_tensor(np.asarray(confusions[run['key']]))
            scores = scores_from_confusion(cm)
            iou = 100 * np.asarray(scores['iou'], dtype=float)
            ious.append(iou)
            cmf = cm.double().numpy()
            rows.append(cmf / np.maximum(cmf.sum(1, keepdims=True), 1))
            gaps.append(abs(100 * scores['miou'] - run['miou']))
        ious = np.stack(ious)
        out.append(
            dict(
                kind=kind,
                denominator=n,
                seeds=[r['seed'] for r in members],
                iou=[mean_std(ious[:, k].tolist())
                     for k in range(ious.shape[1])],
                rows=np.mean(rows, axis=0).tolist(),
                collapsed=int((np.nan_to_num(ious, nan=100.0) <
                               COLLAPSED_IOU).any(axis=1).sum()),
                miou_gap=float(max(gaps))))
    return out


def format_per_class(groups: Sequence[dict], classes: Sequence[str]) -> str:
    """Two markdown tables: IoU per class, and where each class's pixels
    go (mean share of its pixels predicted as each class)."""
    lines = [
        '| method | labeled | seeds | ' +
        ' | '.join(f'IoU {c}' for c in classes) +
        f' | runs with a class IoU < {COLLAPSED_IOU:g} |',
        '|---|---|---|' + '---|' * (len(classes) + 1)
    ]
    for g in groups:
        lines.append(
            f"| {g['kind']} | 1/{g['denominator']} | {len(g['seeds'])} | " +
            ' | '.join(f"{s['mean']:.1f} +- {s['std']:.1f}"
                       for s in g['iou']) +
            f" | {g['collapsed']}/{len(g['seeds'])} |")
    lines += [
        '', 'share of each class\'s validation pixels predicted as each '
        'class (mean over seeds; rows: true class)', '',
        '| method | labeled | true class | ' +
        ' | '.join(f'as {c}' for c in classes) + ' |',
        '|---|---|---|' + '---|' * len(classes)
    ]
    for g in groups:
        for k, name in enumerate(classes):
            lines.append(f"| {g['kind']} | 1/{g['denominator']} | {name} | " +
                         ' | '.join(f'{v:.3f}' for v in g['rows'][k]) + ' |')
    return '\n'.join(lines)
