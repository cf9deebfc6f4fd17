"""CutMix of images and of pseudo labels (UniMatch, FixMatch).

Shape key: B: batch, C: channels, K: classes, H, W: the input size.
Pure torch: no registry, no mmengine.
"""
from typing import Tuple

import torch
from torch import Tensor


def cutmix(x: Tensor, x_mix: Tensor, box: Tensor) -> Tensor:
    """``x`` with the pixels inside ``box`` taken from ``x_mix``.

    Works on images (B, C, H, W) and on per-pixel maps (B, H, W) alike; a
    new tensor, the inputs are left as they are.

    Args:
        x (Tensor): (B, C, H, W) or (B, H, W).
        x_mix (Tensor): Same shape as ``x``.
        box (Tensor): (B, H, W) bool, True inside the CutMix box.

    Returns:
        Tensor: Same shape as ``x``.
    """
    if x.shape != x_mix.shape:
        raise ValueError(f'cutmix: x {tuple(x.shape)} and x_mix '
                         f'{tuple(x_mix.shape)} must have the same shape')
    mask = box if x.dim() == 3 else box[:, None]
    return torch.where(mask, x_mix, x)


def hard_pseudo_labels(probs: Tensor) -> Tuple[Tensor, Tensor]:
    """(confidence, label) of (B, K, H, W) probabilities: max and argmax
    over K, each (B, H, W). No sharpening, no temperature."""
    return probs.max(dim=1)
