"""Boolean pixel masks from data-sample metainfo.

Shape key: B: batch, H, W: the padded input size (or any size the mask is
resized to).
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def valid_region_mask(data_samples: Sequence,
                      size: Tuple[int, int],
                      device=None,
                      exclude_cutout: bool = True) -> Tensor:
    """(B, H, W) bool: inside the unpadded image and outside CutOut.

    The image occupies ``[:h, :w]`` of the padded input, ``(h, w)`` being
    the sample's ``img_shape`` (mmseg pads at the bottom and right). With
    ``exclude_cutout``, the box ``cutout_box = (y1, x1, y2, x2)`` recorded
    by :class:`CutOut` (if the sample has one) is False too.

    Args:
        data_samples (Sequence[SegDataSample]): One per image.
        size (tuple[int, int]): (H, W) of the padded batch.
        device (torch.device, optional): Device of the mask.
        exclude_cutout (bool): Also mask out the CutOut box. Defaults to
            True.

    Returns:
        Tensor: (B, H, W) bool.
    """
    mask = torch.zeros((len(data_samples), ) + tuple(size),
                       dtype=torch.bool,
                       device=device)
    for i, sample in enumerate(data_samples):
        h, w = sample.metainfo.get('img_shape', size)[:2]
        mask[i, :h, :w] = True
        box = sample.metainfo.get('cutout_box') if exclude_cutout else None
        if box is not None:
            y1, x1, y2, x2 = box
            mask[i, y1:y2, x1:x2] = False
    return mask


def box_mask(data_samples: Sequence,
             size: Tuple[int, int],
             key: str = 'cutmix_box',
             device=None) -> Tensor:
    """(B, H, W) bool: True inside each sample's box ``metainfo[key]``.

    The box is ``(y1, x1, y2, x2)``, end exclusive, in the coordinates of
    the padded input (as :class:`RandomCutMixBox` records it); a sample
    without one (or with None: no box drawn) gives all False.

    Args:
        data_samples (Sequence[SegDataSample]): One per image.
        size (tuple[int, int]): (H, W) of the padded batch.
        key (str): Metainfo key of the box. Defaults to 'cutmix_box'.
        device (torch.device, optional): Device of the mask.

    Returns:
        Tensor: (B, H, W) bool.
    """
    mask = torch.zeros((len(data_samples), ) + tuple(size),
                       dtype=torch.bool,
                       device=device)
    for i, sample in enumerate(data_samples):
        box = sample.metainfo.get(key)
        if box is not None:
            y1, x1, y2, x2 = box
            mask[i, y1:y2, x1:x2] = True
    return mask


def resize_mask(mask: Tensor, size: Tuple[int, int]) -> Tensor:
    """Nearest-neighbour resize of a (B, H, W) bool mask to ``size``."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    return F.interpolate(
        mask[:, None].float(), size=tuple(size), mode='nearest')[:, 0] > 0.5
