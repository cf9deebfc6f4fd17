"""How good and how well calibrated are PseudoSeg's pseudo labels?

For a trained PseudoSeg checkpoint, runs the unlabeled training pipeline of
its config (weak view, strong view's CutOut box) over images whose labels
are known but never used in training, and calls
``PseudoSeg.pseudo_label_maps`` exactly as a training step does: decoder
logits ``m`` (train mode by default, as in training), the inference-mode
classifier's image labels, Grad-CAM and SGC logits ``s``, and the fused
probabilities. From ``m`` and ``s`` it rebuilds every variant with
:func:`calibrated_fusion` (decoder alone, SGC alone, fused with and without
the shared scale, each at several temperatures) and measures pixel
accuracy, mIoU and the expected calibration error over the pixels the
consistency loss uses (inside the image, outside CutOut, label not 255).
"""
import copy
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate

from ..evaluation import (calibration_bins, confusion_matrix, ece_from_bins,
                          scores_from_confusion)
from ..models.utils.cam import image_labels_from_seg
from ..models.utils.fusion import calibrated_fusion
from ..models.utils.masks import valid_region_mask


class _Accumulator:
    """Confusion matrix and calibration bins of one prediction source."""

    def __init__(self, num_classes: int, n_bins: int) -> None:
        self.num_classes, self.n_bins = num_classes, n_bins
        self.cm = torch.zeros(num_classes, num_classes, dtype=torch.long)
        self.bins = [torch.zeros(n_bins, dtype=torch.float64)] * 3

    def add(self, probs: torch.Tensor, gt: torch.Tensor,
            known: torch.Tensor) -> None:
        """Add (B, K, H, W) probabilities against (B, H, W) labels over the
        (B, H, W) bool ``known`` pixels."""
        conf, pred = probs.float().max(dim=1)
        conf, pred, gt = conf[known].cpu(), pred[known].cpu(), gt[known].cpu()
        self.cm += confusion_matrix(pred, gt, self.num_classes)
        new = calibration_bins(conf, pred == gt, self.n_bins)
        self.bins = [a + b for a, b in zip(self.bins, new)]

    def result(self) -> dict:
        scores = scores_from_confusion(self.cm)
        count, conf_sum, hits = self.bins
        n = count.clamp_min(1)
        return dict(
            scores,
            **background_shares(self.cm),
            ece=ece_from_bins(*self.bins),
            mean_conf=float(conf_sum.sum() / count.sum().clamp_min(1)),
            bin_count=count.tolist(),
            bin_conf=(conf_sum / n).tolist(),
            bin_acc=(hits / n).tolist())


def background_shares(cm: torch.Tensor) -> dict:
    """How much of each class a prediction calls background.

    Args:
        cm (Tensor): (K, K) counts, rows ground truth, class 0 background.

    Returns:
        dict: ``to_background`` (per class k, the share of its pixels
        predicted 0; NaN for a class with no pixels) and ``fg_to_bg`` (the
        share of all foreground pixels predicted 0).
    """
    cm = cm.double()
    rows = cm.sum(1)
    share = torch.where(rows > 0, cm[:, 0] / rows.clamp_min(1),
                        torch.full_like(rows, float('nan')))
    fg = float(rows[1:].sum())
    return dict(to_background=share.tolist(),
                fg_to_bg=float(cm[1:, 0].sum()) / fg if fg else float('nan'))


COVERAGE_THRESHOLDS = (0.0, 0.5)


def object_coverage(cam: torch.Tensor, gt: torch.Tensor, known: torch.Tensor,
                    thresholds: Sequence[float] = COVERAGE_THRESHOLDS
                    ) -> torch.Tensor:
    """Pixels of each foreground class that a normalised CAM covers.

    Args:
        cam (Tensor): (B, F, H, W) CAM, each map divided by its maximum
            (0 where the class was not given), at the labels' size.
        gt (Tensor): (B, H, W) labels, foreground class f is ``f + 1``.
        known (Tensor): (B, H, W) bool, the pixels that count.
        thresholds (Sequence[float]): A pixel is covered at threshold t
            when its class's CAM exceeds t (> 0: the CAM is on at all).

    Returns:
        Tensor: (len(thresholds) + 1, F) int64: per threshold the covered
        pixels of each class, and in the last row each class's pixels.
    """
    num_fg = cam.shape[1]
    out = torch.zeros(len(thresholds) + 1, num_fg, dtype=torch.long)
    for f in range(num_fg):
        obj = known & (gt == f + 1)
        values = cam[:, f][obj]
        for i, t in enumerate(thresholds):
            out[i, f] = int((values > t).sum())
        out[-1, f] = int(obj.sum())
    return out


def coverage_scores(counts: torch.Tensor,
                    thresholds: Sequence[float] = COVERAGE_THRESHOLDS
                    ) -> dict:
    """Covered share per class and over all foreground pixels, per
    threshold (``'>0'``, ``'>0.5'``), from :func:`object_coverage` sums."""
    counts = counts.double()
    total = counts[-1]
    result = dict(pixels=counts[-1].long().tolist())
    for i, t in enumerate(thresholds):
        per_class = torch.where(total > 0, counts[i] / total.clamp_min(1),
                                torch.full_like(total, float('nan')))
        result[f'>{t:g}'] = dict(
            per_class=per_class.tolist(),
            all=float(counts[i].sum() / total.sum().clamp_min(1)))
    return result


def variant_names(temperatures: Sequence[float]) -> List[tuple]:
    """(source, calibrate, T) of every variant measured."""
    names = []
    for t in temperatures:
        names += [('decoder', None, t), ('SGC', None, t)]
        names += [('fused', True, t), ('fused', False, t)]
    names += [('SGC, given image labels', None, 1.0)]
    # The targets as a classifier that is always right would make them.
    names += [('fused, given image labels', c, t) for t in temperatures
              for c in (True, False)]
    return names


def _freeze_bn_stats(model: nn.Module) -> List[tuple]:
    """Momentum 0 for every BN layer (train-mode passes normalise with batch
    statistics but leave running statistics alone); returns what to undo."""
    saved = []
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            saved.append((m, m.momentum))
            m.momentum = 0.0
    return saved


def _variant_probs(model, maps: dict, size, name: tuple) -> torch.Tensor:
    source, calibrate, t = name
    m, s = maps['seg_logits'], maps.get('sgc_logits')
    if source == 'decoder':
        probs = calibrated_fusion(m, None, t)
    elif source.startswith('SGC'):
        probs = calibrated_fusion(s, None, t)
    else:
        probs = calibrated_fusion(m, s, t, calibrate=calibrate)
    return model._resize(probs, size)


@torch.no_grad()
def pseudo_label_calibration(model,
                             dataset,
                             batch_size: int,
                             temperatures: Sequence[float] = (0.3, 0.5, 0.7,
                                                              1.0),
                             n_bins: int = 15,
                             train_mode: bool = True,
                             max_images: Optional[int] = None,
                             device: str = 'cpu') -> dict:
    """Accuracy, IoU and calibration of every pseudo-label variant.

    Args:
        model (PseudoSeg): Trained model (not changed: BN running
            statistics are left alone).
        dataset: The unlabeled training dataset of the config, its pipeline
            loading the labels (``LoadAnnotations``).
        batch_size (int): Images per batch, as in training (the fusion's
            scale is one scalar per batch).
        temperatures (Sequence[float]): Sharpening temperatures.
        n_bins (int): Equal-width ECE bins. Defaults to 15.
        train_mode (bool): Decoder pass in train mode (batch statistics,
            dropout) as in training. False: everything in inference mode.
        max_images (int, optional): Use only the first images.
        device (str): Device of the model.

    Returns:
        dict: ``variants`` ((source, calibrate, T) -> scores, with each
        class's share predicted background), ``image_labels`` (classifier
        vs. the views' true image labels), ``cam_coverage`` (share of each
        class's pixels where its Grad-CAM, made from the predicted or the
        true image labels, exceeds 0 and 0.5),
        ``images`` and a check that the model's own fused probabilities
        equal the rebuilt ones (``max_fused_diff``).
    """
    k = model.num_classes
    names = variant_names(temperatures)
    acc = {name: _Accumulator(k, n_bins) for name in names}
    label_cm = torch.zeros(k - 1, 2, 2, dtype=torch.long)
    cam_names = ('CAM, predicted image labels', 'CAM, given image labels')
    cover = {
        name: torch.zeros(len(COVERAGE_THRESHOLDS) + 1, k - 1,
                          dtype=torch.long)
        for name in cam_names
    }
    exact, max_diff, total = 0, 0.0, len(dataset)
    if max_images is not None:
        total = min(total, max_images)
    saved_mode = model.training
    model.train(train_mode)
    saved = _freeze_bn_stats(model)
    try:
        for start in range(0, total, batch_size):
            items = [dataset[i] for i in range(start,
                                               min(total, start + batch_size))]
            batch = model.data_preprocessor(pseudo_collate(items), True)
            weak = batch['inputs']['weak'].to(device)
            samples = batch['data_samples']
            size = weak.shape[2:]
            region = valid_region_mask(samples['strong'], size, weak.device)
            gt = torch.stack([s.gt_sem_seg.data[0] for s in samples['weak']])
            gt = gt.to(weak.device)
            known = region & (gt != 255)
            maps = model.pseudo_label_maps(weak, samples['weak'], region)
            true_labels = image_labels_from_seg(
                torch.where(region, gt, torch.full_like(gt, 255)), k)
            oracle = copy.deepcopy(samples['weak'])
            for sample, labels in zip(oracle, true_labels):
                sample.gt_image_labels = labels
            maps_oracle = model.pseudo_label_maps(weak, oracle, region)
            for name in names:
                source = maps_oracle if 'given' in name[0] else maps
                acc[name].add(
                    _variant_probs(model, source, size, name), gt, known)
            for name, source in zip(cam_names, (maps, maps_oracle)):
                if source.get('cam') is not None:
                    cam = model._resize(source['cam'].float(), size)
                    cover[name] += object_coverage(cam, gt, known)
            mine = _variant_probs(
                model, maps, size, ('fused', model.calibrate,
                                    model.temperature))
            max_diff = max(max_diff,
                           float((mine - maps['probs']).abs().max()))
            predicted = maps['image_labels'].long().cpu()
            true_labels = true_labels.long().cpu()
            exact += int((predicted == true_labels).all(dim=1).sum())
            for f in range(k - 1):
                label_cm[f] += torch.bincount(
                    true_labels[:, f] * 2 + predicted[:, f],
                    minlength=4).reshape(2, 2)
    finally:
        for m, momentum in saved:
            m.momentum = momentum
        model.train(saved_mode)
    return dict(
        variants={name: a.result()
                  for name, a in acc.items()},
        image_labels=dict(
            _image_label_scores(label_cm), exact=exact / max(total, 1)),
        cam_coverage={
            name: coverage_scores(c)
            for name, c in cover.items() if c[-1].sum() > 0
        },
        images=total,
        max_fused_diff=max_diff)


def _image_label_scores(cm: torch.Tensor) -> dict:
    """Per-class precision/recall of the classifier's image labels from
    (F, 2, 2) counts [true, predicted]."""
    tp, fp, fn = cm[:, 1, 1], cm[:, 0, 1], cm[:, 1, 0]
    return dict(
        precision=(tp / (tp + fp).clamp_min(1)).tolist(),
        recall=(tp / (tp + fn).clamp_min(1)).tolist(),
        support=cm[:, 1].sum(1).tolist())
