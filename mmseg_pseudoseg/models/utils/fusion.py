"""Calibrated fusion of two sources of pseudo labels (PseudoSeg, Sec. 3.3).

Shape key:
    B: batch, K: classes including background, H, W: spatial.

Only torch is imported here: no registry, no mmengine. Every function states
the axes it reduces over.
"""
from typing import Optional

import torch
from torch import Tensor


def joint_rms(*logits: Tensor, dim: int = 1, eps: float = 1e-6) -> Tensor:
    """Root mean square of several logit maps taken jointly along ``dim``.

    The maps are treated as one concatenated vector along ``dim`` (the class
    axis), so each pixel gets one scale shared by every source. No other axis
    is reduced.

    Args:
        *logits (Tensor): Maps of identical shape, e.g. (B, K, H, W).
        dim (int): The class axis. Defaults to 1.
        eps (float): Lower bound of the result, keeps the division finite
            where every logit is zero. Defaults to 1e-6.

    Returns:
        Tensor: (B, 1, H, W) for (B, K, H, W) inputs (``dim`` kept, size 1).
    """
    if not logits:
        raise ValueError('joint_rms needs at least one tensor')
    shape = logits[0].shape
    for i, x in enumerate(logits):
        if x.shape != shape:
            raise ValueError(f'joint_rms: input {i} has shape '
                             f'{tuple(x.shape)}, expected {tuple(shape)}')
    squares = torch.cat([x.float().square() for x in logits], dim=dim)
    return squares.mean(dim=dim, keepdim=True).sqrt().clamp_min(eps)


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
                      cam_logits: Optional[Tensor],
                      temperature: float = 0.5) -> Tensor:
    """Fuse decoder and SGC logits into calibrated pseudo-label probabilities.

    ``F = Sharpen((Softmax(m / N) + Softmax(s / N)) / 2, T)`` where
    ``N = joint_rms(m, s)`` is computed per pixel over the concatenation of
    both class vectors (2K values). Dividing both sources by one shared scale
    keeps their relative confidence while removing the arbitrary logit
    magnitude of each network, which is what makes the average meaningful.
    With ``cam_logits=None`` this is the single-source ablation
    ``Sharpen(Softmax(m / rms(m)), T)``.

    Args:
        seg_logits (Tensor): Decoder logits m, (B, K, H, W).
        cam_logits (Tensor, optional): SGC scores s, (B, K, H, W), already
            resized to the decoder's resolution.
        temperature (float): Sharpening temperature T. Defaults to 0.5.

    Returns:
        Tensor: (B, K, H, W) probabilities; they sum to 1 along dim 1.
    """
    if cam_logits is None:
        norm = joint_rms(seg_logits)
        return sharpen(torch.softmax(seg_logits.float() / norm, dim=1),
                       temperature)
    norm = joint_rms(seg_logits, cam_logits)
    mean_probs = (torch.softmax(seg_logits.float() / norm, dim=1) +
                  torch.softmax(cam_logits.float() / norm, dim=1)) / 2
    return sharpen(mean_probs, temperature)
