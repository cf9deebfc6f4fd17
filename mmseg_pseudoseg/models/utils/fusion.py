"""Calibrated fusion of two sources of pseudo labels (PseudoSeg, Sec. 3.3).

Shape key:
    B: batch, K: classes including background, H, W: spatial.

Only torch is imported here: no registry, no mmengine. Every function states
the axes it reduces over.
"""
from typing import Optional

import torch
from torch import Tensor


def joint_rms(*logits: Tensor, eps: float = 1e-8) -> Tensor:
    """One scale for all given logit tensors: ``sqrt(mean(x^2) + eps)``.

    The mean runs over EVERY element of every tensor (all images, classes
    and pixels), as if they were concatenated: the result is one scalar,
    not a per-pixel or per-image scale. A per-pixel scale would divide a
    confident pixel's large logits and an uncertain pixel's small ones to
    the same magnitude and erase the difference the fusion is meant to keep.

    Args:
        *logits (Tensor): Tensors of any shapes, e.g. (B, K, H, W) each.
        eps (float): Added under the square root, so all-zero inputs give
            ``sqrt(eps)`` instead of 0. Defaults to 1e-8 (the release's).

    Returns:
        Tensor: A 0-dim float32 tensor.
    """
    if not logits:
        raise ValueError('joint_rms needs at least one tensor')
    total = sum(x.float().square().sum() for x in logits)
    count = sum(x.numel() for x in logits)
    return torch.sqrt(total / count + eps)


def sharpen(probs: Tensor, temperature: float = 0.5, dim: int = 1) -> Tensor:
    """Temperature sharpening, ``p_k^(1/T) / sum_j p_j^(1/T)``.

    Computed as ``softmax(log(p) / T)`` along ``dim`` for stability; only
    ``dim`` (the class axis) is reduced.

    Args:
        probs (Tensor): Probabilities that sum to 1 along ``dim``.
        temperature (float): T > 0. T < 1 sharpens, T = 1 is the identity.
            Defaults to 0.5 (the paper's value).
        dim (int): The class axis. Defaults to 1.

    Returns:
        Tensor: Sharpened probabilities, same shape as ``probs``.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    log_p = probs.clamp_min(torch.finfo(probs.dtype).tiny).log()
    return torch.softmax(log_p / temperature, dim=dim)


def calibrated_fusion(seg_logits: Tensor,
                      sgc_logits: Optional[Tensor],
                      temperature: float = 0.5,
                      *,
                      calibrate: bool = True) -> Tensor:
    """Fuse decoder and SGC logits into pseudo-label probabilities.

    ``F = Sharpen((Softmax(m / N) + Softmax(s / N)) / 2, T)`` with
    ``N = joint_rms(m, s)``: ONE scalar, the root mean square over every
    element of both tensors of the (per-process) batch. Dividing both
    sources by the same scale removes the arbitrary magnitude of the two
    networks' logits while keeping which pixels (and which source) are
    more confident. Softmax and sharpening reduce over K only.

    With ``sgc_logits=None`` this is the release's decoder-only ablation
    ``Sharpen(Softmax(m), T)``: with one source there is nothing to put on
    a common scale, and the release divides by nothing.

    Args:
        seg_logits (Tensor): Decoder logits m, (B, K, H, W).
        sgc_logits (Tensor, optional): SGC logits s, (B, K, H, W), already
            resized to the decoder's resolution.
        temperature (float): Sharpening temperature T. Defaults to 0.5.
        calibrate (bool): Divide both sources by ``N``. False gives the
            release's fusion without the scaling. Defaults to True.

    Returns:
        Tensor: (B, K, H, W) float32 probabilities summing to 1 over K.
    """
    if sgc_logits is None:
        return sharpen(torch.softmax(seg_logits.float(), dim=1), temperature)
    if sgc_logits.shape != seg_logits.shape:
        raise ValueError(
            f'calibrated_fusion: sgc_logits {tuple(sgc_logits.shape)} must '
            f'match seg_logits {tuple(seg_logits.shape)}; resize them to the '
            'decoder resolution first')
    m, s = seg_logits.float(), sgc_logits.float()
    scale = joint_rms(m, s) if calibrate else 1.0
    mean_probs = (torch.softmax(m / scale, dim=1) +
                  torch.softmax(s / scale, dim=1)) / 2
    return sharpen(mean_probs, temperature)
