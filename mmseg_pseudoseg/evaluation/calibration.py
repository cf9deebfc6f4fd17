"""Accuracy, IoU and calibration of dense predictions, accumulated by bins.

Shape key:
    P: pixels (any number, flattened), K: classes including background,
    n: confidence bins.

Only torch is imported here: no registry, no mmengine. Every function states
the axes it reduces over. Counts are accumulated over batches by adding the
returned tensors, so a data set never has to fit in memory at once.
"""
from typing import Dict, Tuple

import torch
from torch import Tensor


def bin_index(conf: Tensor, n_bins: int = 15) -> Tensor:
    """Equal-width bin of each confidence: bin ``b`` holds
    ``(b / n, (b + 1) / n]``, and 0 goes to bin 0.

    Args:
        conf (Tensor): Confidences in [0, 1], any shape.
        n_bins (int): n. Defaults to 15.

    Returns:
        Tensor: Long bin indices in [0, n - 1], same shape as ``conf``.
    """
    if n_bins < 1:
        raise ValueError(f'n_bins must be >= 1, got {n_bins}')
    index = torch.ceil(conf.double() * n_bins).long() - 1
    return index.clamp(0, n_bins - 1)


def calibration_bins(conf: Tensor,
                     correct: Tensor,
                     n_bins: int = 15) -> Tuple[Tensor, Tensor, Tensor]:
    """Per-bin count, sum of confidences and number correct.

    Reduces over all elements of ``conf`` (flattened). Add the results of
    several batches to accumulate.

    Args:
        conf (Tensor): (P,) or any shape, confidence of the predicted class.
        correct (Tensor): Same shape, bool (or 0/1): prediction right.
        n_bins (int): Equal-width bins on [0, 1]. Defaults to 15.

    Returns:
        tuple[Tensor, Tensor, Tensor]: (n,) float64 count, confidence sum
        and correct count per bin.
    """
    if conf.shape != correct.shape:
        raise ValueError(f'conf {tuple(conf.shape)} and correct '
                         f'{tuple(correct.shape)} must have the same shape')
    index = bin_index(conf, n_bins).flatten()
    count = torch.bincount(index, minlength=n_bins).double()
    conf_sum = torch.bincount(
        index, weights=conf.flatten().double(), minlength=n_bins)
    hits = torch.bincount(
        index, weights=correct.flatten().double(), minlength=n_bins)
    return count, conf_sum, hits


def ece_from_bins(count: Tensor, conf_sum: Tensor, hits: Tensor) -> float:
    """Expected calibration error from per-bin sums.

    ``ECE = sum_b (N_b / N) |acc_b - conf_b|`` with ``acc_b = hits_b / N_b``
    and ``conf_b = conf_sum_b / N_b``, i.e. ``sum_b |hits_b - conf_sum_b| /
    N``; empty bins add nothing. Reduces over the n bins.

    Args:
        count (Tensor): (n,) elements per bin.
        conf_sum (Tensor): (n,) sum of confidences per bin.
        hits (Tensor): (n,) correct predictions per bin.

    Returns:
        float: ECE in [0, 1]; 0.0 for no elements.
    """
    total = float(count.sum())
    if total == 0:
        return 0.0
    return float((hits.double() - conf_sum.double()).abs().sum() / total)


def expected_calibration_error(conf: Tensor,
                               correct: Tensor,
                               n_bins: int = 15) -> float:
    """ECE of predictions with confidences ``conf`` (Guo et al., 2017).

    Equal-width bins (see :func:`bin_index`); reduces over all elements.

    Args:
        conf (Tensor): Confidence of each prediction, any shape.
        correct (Tensor): Same shape, whether each prediction is right.
        n_bins (int): Number of bins. Defaults to 15.

    Returns:
        float: ECE in [0, 1].
    """
    return ece_from_bins(*calibration_bins(conf, correct, n_bins))


def confusion_matrix(pred: Tensor,
                     gt: Tensor,
                     num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """(K, K) int64 counts, rows ground truth, columns prediction.

    Reduces over all elements; elements whose ``gt`` is ``ignore_index``
    (or outside [0, K)) are skipped.

    Args:
        pred (Tensor): Predicted class per element, any shape.
        gt (Tensor): Ground-truth class per element, same shape.
        num_classes (int): K.
        ignore_index (int): Label to skip. Defaults to 255.
    """
    pred, gt = pred.flatten().long(), gt.flatten().long()
    keep = (gt != ignore_index) & (gt >= 0) & (gt < num_classes)
    index = gt[keep] * num_classes + pred[keep]
    return torch.bincount(
        index, minlength=num_classes**2).reshape(num_classes, num_classes)


def scores_from_confusion(cm: Tensor) -> Dict[str, object]:
    """Pixel accuracy, per-class IoU and mIoU of a confusion matrix.

    ``IoU_k = cm[k, k] / (sum_j cm[k, j] + sum_i cm[i, k] - cm[k, k])``;
    mIoU averages the classes that occur in the ground truth or the
    predictions (a class absent from both has no IoU, as in mmseg's
    ``IoUMetric``, which averages with ``nanmean``).

    Args:
        cm (Tensor): (K, K) counts, rows ground truth.

    Returns:
        dict: ``acc`` (float), ``iou`` (list of K floats, NaN where
        undefined) and ``miou`` (float), all as fractions in [0, 1].
    """
    cm = cm.double()
    tp = cm.diagonal()
    union = cm.sum(0) + cm.sum(1) - tp
    iou = torch.where(union > 0, tp / union.clamp_min(1),
                      torch.full_like(tp, float('nan')))
    total = cm.sum()
    return dict(
        acc=float(tp.sum() / total) if total > 0 else float('nan'),
        iou=iou.tolist(),
        miou=float(iou.nanmean()))
