"""Per-class quality of pseudo labels against the labels of the unlabeled
images, where a benchmark loads them (diagnostics only: no loss sees them).

Pixel accuracy hides what matters on sets where background covers most
pixels: a source that calls every object background is right on most
pixels. These counts give, per source (fused pseudo labels, the decoder's,
the SGC map's) and per class, the IoU, the share of the class's pixels
labelled background, and the classifier's image-label precision and recall.
"""
from typing import Dict, List

import torch
from torch import Tensor


def confusion_counts(pred: Tensor, gt: Tensor, valid: Tensor,
                     num_classes: int) -> Tensor:
    """(K, K) pixel counts, rows the true class, columns the predicted one,
    over ``valid`` pixels whose label is a class (< K).

    Args:
        pred (Tensor): (B, H, W) predicted classes.
        gt (Tensor): (B, H, W) true classes (ignore index >= K).
        valid (Tensor): (B, H, W) bool.
        num_classes (int): K.

    Returns:
        Tensor: float (K, K).
    """
    known = valid & (gt < num_classes)
    index = gt[known].long() * num_classes + pred[known].long()
    return torch.bincount(
        index, minlength=num_classes * num_classes).reshape(
            num_classes, num_classes).float()


def image_label_counts(pred: Tensor, gt_seg: Tensor, valid: Tensor,
                       num_classes: int) -> Tensor:
    """(3, F) true-positive, false-positive and false-negative counts of
    predicted image labels (B, F) over the F = K - 1 foreground classes; a
    class is present if one ``valid`` pixel of the label map has it."""
    present = torch.stack([
        torch.bincount(g[v & (g < num_classes)].long(),
                       minlength=num_classes)[1:] > 0
        for g, v in zip(gt_seg, valid)
    ])
    pred = pred.bool()
    return torch.stack([(pred & present).sum(0), (pred & ~present).sum(0),
                        (~pred & present).sum(0)]).float()


def _ratio(num: Tensor, den: Tensor) -> List[float]:
    """num / den per entry, NaN where den is 0 (JSON writes null)."""
    return [(n / d).item() if d > 0 else float('nan')
            for n, d in zip(num, den)]


def summarise_confusion(conf: Tensor) -> Dict[str, List[float]]:
    """Per class: ``iou``, ``recall`` (share of its pixels labelled it),
    ``to_background`` (share of its pixels labelled class 0) and
    ``pixels`` (true count); NaN where a class has no pixel."""
    tp = conf.diag()
    true = conf.sum(1)
    return dict(
        iou=_ratio(tp, true + conf.sum(0) - tp),
        recall=_ratio(tp, true),
        to_background=_ratio(conf[:, 0], true),
        pixels=true.tolist())


def summarise_image_labels(counts: Tensor) -> Dict[str, List[float]]:
    """Per foreground class ``precision`` and ``recall`` from the (3, F)
    counts of :func:`image_label_counts`."""
    tp, fp, fn = counts
    return dict(precision=_ratio(tp, tp + fp), recall=_ratio(tp, tp + fn))
