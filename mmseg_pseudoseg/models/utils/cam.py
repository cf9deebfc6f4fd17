"""Grad-CAM and self-attention refinement for the SGC map (Sec. 3.2).

Shape key:
    B: batch, C: feature channels,
    K: classes including background (index 0), F = K - 1 foreground classes,
    h, w: feature-map spatial size, N = h * w.

Only torch is imported here: no registry, no mmengine.
"""
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def gap_linear_grad_cam(features: Tensor, weight: Tensor) -> Tensor:
    """Grad-CAM of a GAP + linear classifier, in closed form.

    For ``y_f = sum_c W_fc * mean_ij A_c(i, j) + b_f`` the gradient
    ``dy_f / dA_c(i, j) = W_fc / N`` is constant in space, so the Grad-CAM
    channel weights are ``alpha_fc = mean_ij(W_fc / N) = W_fc / N`` and
    ``GradCAM_f = ReLU(sum_c alpha_fc A_c) = ReLU(W_f . A) / N``: no backward
    pass is needed. Reduces over C only.

    Args:
        features (Tensor): A, (B, C, h, w), the classifier's input.
        weight (Tensor): W, (F, C), the linear layer's weight.

    Returns:
        Tensor: (B, F, h, w), non-negative.
    """
    h, w = features.shape[-2:]
    cam = torch.einsum('fc,bchw->bfhw', weight, features)
    return F.relu(cam) / (h * w)


def autograd_grad_cam(features: Tensor,
                      classifier: Callable[[Tensor], Tensor]) -> Tensor:
    """Reference Grad-CAM by autograd, for any classifier of a feature map.

    ``alpha_fc = mean_ij dy_f / dA_c(i, j)``; ``cam_f = ReLU(sum_c alpha_fc
    A_c)``. Samples must be independent in ``classifier`` (no batch
    statistics), since the class scores are summed over the batch before
    differentiation. Used to test :func:`gap_linear_grad_cam`.

    Args:
        features (Tensor): A, (B, C, h, w).
        classifier (callable): Maps (B, C, h, w) to logits (B, F).

    Returns:
        Tensor: (B, F, h, w).
    """
    features = features.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = classifier(features)
        cams = []
        for f in range(logits.shape[1]):
            grad, = torch.autograd.grad(
                logits[:, f].sum(), features, retain_graph=True)
            alpha = grad.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
            cams.append(F.relu((alpha * features).sum(dim=1)))
    return torch.stack(cams, dim=1).detach()


def cosine_affinity(features: Tensor, temperature: float = 0.1) -> Tensor:
    """Row-stochastic affinity from feature self-similarity.

    ``A[b, i, j] = softmax_j(cos(x_i, x_j) / temperature)``; reduces over C
    for the cosine and normalises over j. A small temperature keeps each
    position attending to positions that look like it, so class evidence
    spreads within an object and not into the background.

    Args:
        features (Tensor): (B, C, h, w).
        temperature (float): Softmax temperature > 0. Defaults to 0.1.

    Returns:
        Tensor: (B, N, N), each row sums to 1.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    x = F.normalize(features.flatten(2), dim=1)  # (B, C, N)
    return torch.softmax(x.transpose(1, 2) @ x / temperature, dim=-1)


def attention_refine(maps: Tensor, affinity: Tensor) -> Tensor:
    """Propagate maps along an affinity: ``out_i = sum_j A_ij map_j``.

    Args:
        maps (Tensor): (B, F, h, w).
        affinity (Tensor): (B, N, N), rows sum to 1.

    Returns:
        Tensor: (B, F, h, w). A spatially constant map is left unchanged.
    """
    b, f, h, w = maps.shape
    out = maps.flatten(2) @ affinity.transpose(1, 2)  # (B, F, N)
    return out.view(b, f, h, w)


def normalize_cam(cam: Tensor, eps: float = 1e-5) -> Tensor:
    """Scale each (sample, class) map to [0, 1] by its spatial maximum.

    Reduces over h, w only.

    Args:
        cam (Tensor): (B, F, h, w), non-negative.
        eps (float): Added to the maximum so empty maps stay zero.

    Returns:
        Tensor: (B, F, h, w) in [0, 1].
    """
    return cam / (cam.amax(dim=(2, 3), keepdim=True) + eps)


def sgc_scores(cam: Tensor, class_probs: Tensor) -> Tensor:
    """Turn normalised foreground CAMs into K-class SGC scores.

    Foreground scores are the [0, 1] CAMs weighted by the image-level class
    probability, so classes the classifier deems absent get low scores
    everywhere. The background score is ``1 - max_f fg_f`` (reduces over F).

    Args:
        cam (Tensor): (B, F, h, w) in [0, 1].
        class_probs (Tensor): (B, F) image-level probabilities in [0, 1].

    Returns:
        Tensor: (B, K, h, w) with background at index 0.
    """
    fg = cam * class_probs[:, :, None, None]
    bg = 1 - fg.amax(dim=1, keepdim=True)
    return torch.cat([bg, fg], dim=1)


def image_labels_from_seg(seg: Tensor, num_classes: int,
                          ignore_index: int = 255) -> Tensor:
    """Multi-hot image-level foreground labels from pixel labels.

    Args:
        seg (Tensor): (B, H, W) or (B, 1, H, W) integer labels; background is
            0, ``ignore_index`` pixels are skipped.
        num_classes (int): K, including background.
        ignore_index (int): Label to skip. Defaults to 255.

    Returns:
        Tensor: (B, F) float multi-hot, F = K - 1.
    """
    seg = seg.reshape(seg.shape[0], -1).long()
    valid = (seg != ignore_index) & (seg >= 0) & (seg < num_classes)
    onehot = torch.zeros(seg.shape[0], num_classes + 1, device=seg.device)
    # Invalid pixels go to an extra bin that is dropped with background.
    index = torch.where(valid, seg, torch.full_like(seg, num_classes))
    onehot.scatter_(1, index, 1.0)
    return onehot[:, 1:num_classes]
