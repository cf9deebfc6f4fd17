"""Masked cross-entropy against (soft) pseudo-label distributions."""
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


def soft_cross_entropy(logits: Tensor,
                       target: Tensor,
                       weight: Optional[Tensor] = None,
                       avg_factor: Optional[Union[Tensor, float]] = None
                       ) -> Tensor:
    """``sum(weight * -sum_k target_k log_softmax(logits)_k) / avg_factor``.

    Shapes: B batch, K classes, H, W spatial. ``target`` is either
    distributions (B, K, H, W) or hard labels (B, H, W), integers in
    [0, K), whose per-pixel loss is ``-log_softmax(logits)[label]``
    (UniMatch's ``CrossEntropyLoss(reduction='none')``). Reduces over K
    per pixel, then sums over the whole batch (B, H, W) and divides by
    ``avg_factor``.
    PseudoSeg passes the kept pixels as ``weight`` and the number of pixels
    inside the image and outside the CutOut box as ``avg_factor`` (the
    release's normaliser, which a confidence threshold does not change).
    With ``avg_factor`` 0 the loss is 0 and stays connected to the graph.

    Args:
        logits (Tensor): (B, K, H, W).
        target (Tensor): (B, K, H, W) distributions or (B, H, W) labels
            (no gradient flows into them).
        weight (Tensor, optional): (B, H, W) bool or float pixel weights;
            all ones if None.
        avg_factor (Tensor | float, optional): The divisor; defaults to
            ``weight.sum()`` (the number of pixels without ``weight``).

    Returns:
        Tensor: Scalar loss.
    """
    hard = not target.is_floating_point()
    expected = logits.shape[:1] + logits.shape[2:] if hard else logits.shape
    if target.shape != expected:
        raise ValueError(f'logits {tuple(logits.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape '
                         '(or target be (B, H, W) labels)')

    if hard:
        pixel_loss = F.cross_entropy(
            logits.float(), target.long(), reduction='none')
    else:
        pixel_loss = -(target.detach() *
                       torch.log_softmax(logits.float(), dim=1)).sum(1)
    if weight is not None:
        pixel_loss = pixel_loss * weight.to(pixel_loss.dtype)
    if avg_factor is None:
        avg_factor = pixel_loss.numel() if weight is None else weight.sum()
    avg_factor = torch.as_tensor(
        avg_factor, dtype=pixel_loss.dtype, device=pixel_loss.device)
    # As the release: 0 when there is nothing to average over.
    return (avg_factor > 0).to(pixel_loss.dtype) * pixel_loss.sum() / \
        avg_factor.clamp_min(1e-5)


@MODELS.register_module()
class SoftCrossEntropyLoss(nn.Module):
    """Cross-entropy of logits against pseudo-label distributions.

    Args:
        use_hard_labels (bool): Use the one-hot argmax of the target instead
            of the distribution itself. Defaults to False (soft targets, the
            release's default, so the sharpening temperature matters).
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
                weight: Optional[Tensor] = None,
                avg_factor: Optional[Union[Tensor, float]] = None) -> Tensor:
        """See :func:`soft_cross_entropy` for shapes."""
        if self.use_hard_labels:
            target = torch.zeros_like(target).scatter_(
                1, target.argmax(dim=1, keepdim=True), 1.0)
        return self.loss_weight * soft_cross_entropy(logits, target, weight,
                                                     avg_factor)
