"""Panels of the pseudo labels of an unlabeled batch, from a PseudoSeg
model (used by PseudoLabelVisualizationHook and
tools/visualize_pseudo_labels.py)."""
import os.path as osp
import re
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..models.utils.masks import valid_region_mask
from .pseudo_label_panels import panel_titles, pseudo_label_panels

REQUIRED_API = ('pseudo_label_maps', 'data_preprocessor')


@contextmanager
def untouched_state(model: nn.Module) -> Iterator[None]:
    """Leave the model's BatchNorm running statistics and the torch RNG as
    they were, so an extra train-mode pass for pictures changes nothing the
    training sees."""
    norms = [
        m for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and m.track_running_stats
    ]
    saved = [{k: v.clone()
              for k, v in m.named_buffers(recurse=False)} for m in norms]
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() \
        else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield
    finally:
        for m, buffers in zip(norms, saved):
            for name, value in buffers.items():
                getattr(m, name).copy_(value)


def normalisation(model: nn.Module):
    """(mean, std, input_is_rgb) of the model's (wrapped) segmentation
    preprocessor; mean/std None if it does not normalise."""
    pre = model.data_preprocessor
    pre = getattr(pre, 'data_preprocessor', pre)  # MultiBranch wraps one
    normalises = getattr(pre, '_enable_normalize', False)
    mean = pre.mean if normalises else None
    std = pre.std if normalises else None
    # mmcv loads BGR; the preprocessor flips the channels iff it converts.
    return mean, std, bool(getattr(pre, 'channel_conversion', False))


def image_stem(sample, fallback: str) -> str:
    """A file-name-safe id of a sample (its image's base name)."""
    path = sample.metainfo.get('img_path')
    stem = osp.splitext(osp.basename(path))[0] if path else fallback
    return re.sub(r'[^\w.-]', '_', stem) or fallback


def draw_batch(model: nn.Module,
               data_batch: dict,
               training: bool,
               max_images: int,
               palette: Sequence[Sequence[int]],
               classes: Optional[Sequence[str]] = None
               ) -> List[Tuple[str, dict, dict]]:
    """Pseudo-label panels of the first ``max_images`` unlabeled images.

    Preprocesses ``data_batch`` (a ``MixedDataset`` batch, or one with only
    ``weak``/``strong`` branches) and calls
    ``model.pseudo_label_maps`` on the whole weak batch, as the training
    step does (so batch statistics match); BN running statistics and the
    RNG are restored afterwards. No gradient.

    Args:
        model (nn.Module): A PseudoSeg (unwrapped).
        data_batch (dict): ``inputs``/``data_samples`` dicts keyed by branch.
        training (bool): Preprocess as in training (pad to the crop).
        max_images (int): Images to draw.
        palette (Sequence): One RGB colour per class.
        classes (Sequence[str], optional): Class names for titles.

    Returns:
        list[tuple[str, dict, dict]]: (image id, panels, titles) per image.
    """
    branches = ('weak', 'strong')
    missing = set(branches) - set(data_batch['inputs'])
    if missing:
        raise KeyError(f'pseudo-label pictures need the unlabeled branches '
                       f'{branches}; the batch lacks {sorted(missing)}')
    data_batch = {
        key: {b: data_batch[key][b]
              for b in branches}
        for key in ('inputs', 'data_samples')
    }
    with torch.no_grad(), untouched_state(model):
        data = model.data_preprocessor(data_batch, training)
        inputs, samples = data['inputs'], data['data_samples']
        strong = inputs['strong']
        region = valid_region_mask(samples['strong'], strong.shape[2:],
                                   strong.device)
        maps = model.pseudo_label_maps(inputs['weak'], samples['weak'],
                                       region)
    threshold = getattr(model, 'confidence_threshold', 0.0)
    keep = region & (maps['probs'].max(dim=1).values >= threshold)
    mean, std, rgb = normalisation(model)
    head = model.segmentor.decode_head
    drawn = []
    for i in range(min(max_images, strong.shape[0])):
        panels = pseudo_label_panels(
            maps,
            inputs['weak'],
            strong,
            samples['weak'][i],
            samples['strong'][i],
            i,
            palette,
            mean=mean,
            std=std,
            input_is_rgb=rgb,
            keep=keep,
            ignore_index=head.ignore_index,
            align_corners=head.align_corners)
        drawn.append((image_stem(samples['weak'][i], f'image{i}'), panels,
                      panel_titles(maps, i, classes)))
    return drawn
