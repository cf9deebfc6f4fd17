"""Masked cross-entropy against (soft) pseudo-label distributions."""
from typing import Optional

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor


def soft_cross_entropy(logits: Tensor,
                       target: Tensor,
                       valid: Optional[Tensor] = None) -> Tensor:
    """Mean over valid pixels of ``-sum_k target_k * log_softmax(logits)_k``.

    Shapes: B batch, K classes, H, W spatial. Reduces over K per pixel, then
    averages over the valid pixels of the whole batch (B, H, W). With no
    valid pixel the loss is 0 and stays connected to the graph.

    Args:
        logits (Tensor): (B, K, H, W).
        target (Tensor): (B, K, H, W) distributions (no gradient flows
            into them).
        valid (Tensor, optional): (B, H, W) bool mask; all pixels if None.

    Returns:
        Tensor: Scalar loss.
    """
    if logits.shape != target.shape:
        raise ValueError(f'logits {tuple(logits.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape')
    pixel_loss = -(target.detach() * torch.log_softmax(logits, dim=1)).sum(1)
    if valid is None:
        return pixel_loss.mean()
    valid = valid.to(pixel_loss.dtype)
    return (pixel_loss * valid).sum() / valid.sum().clamp_min(1.0)


@MODELS.register_module()
class SoftCrossEntropyLoss(nn.Module):
    """Cross-entropy of logits against pseudo-label distributions.

    Args:
        use_hard_labels (bool): Use the one-hot argmax of the target instead
            of the distribution itself. Defaults to False (soft targets, so
            the sharpening temperature matters).
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_hard_labels: bool = False,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight}')
        self.use_hard_labels = use_hard_labels
        self.loss_weight = loss_weight

    def forward(self,
                logits: Tensor,
                target: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """See :func:`soft_cross_entropy` for shapes."""
        if self.use_hard_labels:
            target = torch.zeros_like(target).scatter_(
                1, target.argmax(dim=1, keepdim=True), 1.0)
        return self.loss_weight * soft_cross_entropy(logits, target, valid)
