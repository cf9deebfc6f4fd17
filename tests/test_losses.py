import math

import pytest
import torch

from mmseg_pseudoseg.models.losses import (SoftCrossEntropyLoss,
                                           soft_cross_entropy)


def test_soft_cross_entropy_hand_computed():
    # logits [0, 0] -> log_softmax = [-ln 2, -ln 2]; any target gives ln 2.
    logits = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([0.3, 0.7]).view(1, 2, 1, 1).expand(1, 2, 1, 2)
    assert soft_cross_entropy(logits, target).item() == pytest.approx(
        math.log(2))


def test_soft_cross_entropy_masks_pixels():
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])  # (1, 2, 1, 2)
    target = torch.zeros_like(logits)
    target[:, 0] = 1.0
    valid = torch.tensor([[[True, False]]])
    # only pixel 0 counts: -log softmax([2, 0])[0] = log(1 + e^-2)
    loss = soft_cross_entropy(logits, target, valid)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-2)), abs=1e-6)
    none_valid = soft_cross_entropy(logits, target, torch.zeros_like(valid))
    assert none_valid.item() == 0.0


def test_soft_cross_entropy_avg_factor():
    # The release divides the kept pixels' sum by the number of valid
    # pixels, which a confidence threshold does not shrink: here 1 kept
    # pixel out of 2 valid ones gives log(1 + e^-2) / 2.
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])
    target = torch.zeros_like(logits)
    target[:, 0] = 1.0
    keep = torch.tensor([[[True, False]]])
    loss = soft_cross_entropy(logits, target, keep, avg_factor=2)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-2)) / 2,
                                        abs=1e-6)
    assert soft_cross_entropy(logits, target, keep, avg_factor=0).item() == 0


def test_soft_cross_entropy_no_gradient_into_target():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    target = torch.softmax(torch.randn(2, 3, 4, 4, requires_grad=True), 1)
    soft_cross_entropy(logits, target).backward()
    assert logits.grad is not None
    with pytest.raises(ValueError, match='same shape'):
        soft_cross_entropy(logits, target[:, :2])


def test_hard_labels_and_weight():
    logits = torch.randn(1, 3, 2, 2)
    target = torch.softmax(torch.randn(1, 3, 2, 2), 1)
    onehot = torch.zeros_like(target).scatter_(1, target.argmax(1, True), 1)
    hard = SoftCrossEntropyLoss(use_hard_labels=True, loss_weight=2.0)
    assert torch.allclose(
        hard(logits, target), 2 * soft_cross_entropy(logits, onehot))
    with pytest.raises(ValueError, match='loss_weight'):
        SoftCrossEntropyLoss(loss_weight=-1.0)
