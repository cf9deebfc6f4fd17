"""Grad-CAM and the self-attention Grad-CAM (SGC) refinement (Sec. 3.2).

Shape key:
    B: batch, C: feature channels, D: query/key channels,
    K: classes including background (index 0), F = K - 1 foreground classes,
    h, w: feature-map spatial size, N = h * w.

Only torch is imported here: no registry, no mmengine.
"""
import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

# Logit given to masked query/key pairs before the softmax (the release's).
MASKED_LOGIT = -1e9


def autocast_off(tensor: Tensor) -> torch.autocast:
    """A context in which autocast (AMP) is off on ``tensor``'s device.

    Under autocast a matrix product runs in fp16 even on float32 inputs,
    so ``.float()`` alone does not keep a computation in float32.
    """
    return torch.autocast(device_type=tensor.device.type, enabled=False)


def grad_cam(features: Tensor, weight: Tensor, image_labels: Tensor) -> Tensor:
    """Max-normalised Grad-CAM of a GAP + linear classifier, closed form.

    For ``y_f = sum_c W[f, c] * mean_ij A_c(i, j) + b_f`` the gradient
    ``dy_f / dA_c(i, j) = W[f, c] / N`` is constant in space, so Grad-CAM
    ``ReLU(sum_c mean_ij(dy_f / dA_c) A_c)`` is ``ReLU(W_f . A) / N``; the
    positive factor ``1 / N`` disappears in the max-normalisation, so
    ``cam_f = ReLU(sum_c W[f, c] A_c)`` and no backward pass is needed.

    Each map is multiplied by the binary image label of its class, then
    divided by its own spatial maximum (reduces over h, w per (image,
    class)); a map whose maximum is 0 stays 0. Gradients are not stopped
    here: callers pass detached features, as the method does. Computed in
    float32, autocast (AMP) or not.

    Args:
        features (Tensor): A, (B, C, h, w), the classifier's input.
        weight (Tensor): W, (F, C), the linear layer's weight.
        image_labels (Tensor): (B, F) binary (0/1) image-level labels.

    Returns:
        Tensor: (B, F, h, w) in [0, 1].
    """
    if image_labels.shape != (features.shape[0], weight.shape[0]):
        raise ValueError(
            f'grad_cam: image_labels {tuple(image_labels.shape)} must be '
            f'(B, F) = ({features.shape[0]}, {weight.shape[0]})')
    with autocast_off(features):
        cam = F.relu(
            torch.einsum('fc,bchw->bfhw', weight.float(), features.float()))
        cam = cam * image_labels[:, :, None, None].to(cam.dtype)
        peak = cam.amax(dim=(2, 3), keepdim=True)
        return torch.where(peak > 0, cam / peak.clamp_min(1e-30),
                           torch.zeros_like(cam))


def sgc_attention(cam: Tensor,
                  query: Tensor,
                  key: Tensor,
                  valid_mask: Optional[Tensor] = None,
                  residual: bool = True) -> Tensor:
    """Refine Grad-CAM by self-attention and add a background score.

    ``att = softmax_j(q_i . k_j / sqrt(D))`` (B, N, N), normalised over the
    keys j; pairs where the query or the key lies outside ``valid_mask``
    get the logit -1e9 (a fully masked query row becomes uniform; those
    positions are padding). The value is the CAM itself:

    - ``residual=True`` (the release's "v2"): ``r = att @ cam + cam``, so
      foreground scores lie in [0, 2], background ``2 - max_f r_f``;
    - ``residual=False`` ("v1"): ``r = att @ cam``, background
      ``1 - max_f r_f``.

    The attention is computed in float32 with autocast (AMP) off: the -1e9
    mask overflows fp16.

    Args:
        cam (Tensor): (B, F, h, w) normalised Grad-CAM (see
            :func:`grad_cam`).
        query (Tensor): (B, D, h, w) projected queries.
        key (Tensor): (B, D, h, w) projected keys.
        valid_mask (Tensor, optional): (B, h, w) bool, True where the
            position is inside the image (and outside the strong view's
            CutOut box). None: every position is valid.
        residual (bool): v2 (True) or v1 (False). Defaults to True.

    Returns:
        Tensor: (B, K, h, w) float32 scores before the output conv, with
        background at index 0.
    """
    b, f, h, w = cam.shape
    if query.shape != key.shape or query.shape[0] != b or \
            query.shape[2:] != cam.shape[2:]:
        raise ValueError(
            f'sgc_attention: query {tuple(query.shape)} and key '
            f'{tuple(key.shape)} must be (B, D, h, w) with B, h, w of cam '
            f'{tuple(cam.shape)}')
    with autocast_off(cam):
        q = query.float().flatten(2)  # (B, D, N)
        k = key.float().flatten(2)
        logits = q.transpose(1, 2) @ k / math.sqrt(q.shape[1])  # (B, N, N)
        if valid_mask is not None:
            valid = valid_mask.reshape(b, h * w)
            pairs = valid[:, :, None] & valid[:, None, :]
            logits = logits.masked_fill(~pairs, MASKED_LOGIT)
        att = torch.softmax(logits, dim=-1)
        values = cam.float().flatten(2)  # (B, F, N)
        # r[b, f, i] = sum_j a_ij c_fj
        refined = values @ att.transpose(1, 2)
        if residual:
            refined = refined + values
        top = 2.0 if residual else 1.0
        background = top - refined.amax(dim=1, keepdim=True)
        return torch.cat([background, refined], dim=1).view(b, f + 1, h, w)


def autograd_grad_cam(features: Tensor,
                      classifier: Callable[[Tensor], Tensor]) -> Tensor:
    """Reference Grad-CAM by autograd, for any classifier of a feature map.

    ``alpha_fc = mean_ij dy_f / dA_c(i, j)``; ``cam_f = ReLU(sum_c alpha_fc
    A_c)``, not normalised. Samples must be independent in ``classifier``
    (no batch statistics), since the class scores are summed over the batch
    before differentiation. Used to test :func:`grad_cam`.

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
