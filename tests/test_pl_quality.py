"""Per-class pseudo-label quality counts against hand-worked numbers."""
import math

import pytest
import torch

from mmseg_pseudoseg.models.utils.pl_quality import (confusion_counts,
                                                     image_label_counts,
                                                     summarise_confusion,
                                                     summarise_image_labels)


def test_confusion_counts_and_summary_by_hand():
    # 3 classes; one image of 2 x 4 pixels; the last column is outside the
    # valid region, one pixel is ignored (255).
    gt = torch.tensor([[[0, 0, 1, 2], [1, 1, 255, 0]]])
    pred = torch.tensor([[[0, 1, 0, 2], [1, 0, 2, 1]]])
    valid = torch.ones_like(gt, dtype=torch.bool)
    valid[..., 3] = False
    conf = confusion_counts(pred, gt, valid, 3)
    # Valid, known pixels (gt -> pred): 0->0, 0->1, 1->0, 1->1, 1->0.
    assert conf.tolist() == [[1, 1, 0], [2, 1, 0], [0, 0, 0]]
    s = summarise_confusion(conf)
    # IoU class 0: 1 / (2 + 3 - 1) = 0.25; class 1: 1 / (3 + 2 - 1) = 0.25.
    assert s['iou'][:2] == [0.25, 0.25] and math.isnan(s['iou'][2])
    assert s['recall'][:2] == pytest.approx([0.5, 1 / 3])
    # Class 1: two of its three pixels called background.
    assert s['to_background'][1] == pytest.approx(2 / 3)
    assert s['pixels'] == [2.0, 3.0, 0.0]


def test_image_label_counts_by_hand():
    # Two images, K = 3 (F = 2 foreground classes). Image 0 shows class 1
    # inside the region and class 2 only outside it; image 1 shows class 2.
    gt = torch.tensor([[[1, 2]], [[2, 0]]])
    region = torch.tensor([[[True, False]], [[True, True]]])
    pred = torch.tensor([[1., 1.], [0., 1.]])
    counts = image_label_counts(pred, gt, region, 3)
    # class 1: TP 1 (image 0); class 2: TP 1 (image 1), FP 1 (image 0).
    assert counts.tolist() == [[1, 1], [0, 1], [0, 0]]
    s = summarise_image_labels(counts)
    assert s['precision'] == [1.0, 0.5] and s['recall'] == [1.0, 1.0]
