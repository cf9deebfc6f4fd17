"""Build-time check of the heads' input channels against the backbone.

Swapping the backbone of a config (ResNet-50 -> MobileNetV2, ConvNeXt,
Xception-65) changes the channels of its outputs; a head left with the old
``in_channels`` fails only at the first forward, after data loading and
weight initialisation, with a bare shape error. :func:`check_head_channels`
runs the built backbone (and neck) once on a tiny input instead, when the
model is built, and names the config key at fault and the channels the
backbone gives.
"""
import warnings
from typing import Dict, List, Optional

import torch
import torch.nn as nn

PROBE_SIZE = 64  # stride 32 still leaves 2x2 features


def probe_feature_channels(segmentor: nn.Module,
                           size: int = PROBE_SIZE) -> Optional[List[int]]:
    """Channels of each output of ``segmentor.extract_feat``.

    One forward of a (1, C, size, size) zero input, backbone and neck in
    eval mode (running statistics untouched, no dropout), under
    ``torch.no_grad()`` and a forked RNG, so building a model draws the same
    random numbers with or without the probe. C is the input channels of the
    backbone's first convolution (3 if it has none).

    Returns:
        list[int] | None: Channels per output, or None (with a warning) if
        the backbone cannot take a ``size`` x ``size`` input.
    """
    modules = [segmentor.backbone, getattr(segmentor, 'neck', None)]
    modules = [m for m in modules if m is not None]
    first_conv = next(
        (m for m in segmentor.backbone.modules() if isinstance(m, nn.Conv2d)),
        None)
    param = next(segmentor.backbone.parameters(), None)
    x = torch.zeros(
        1,
        first_conv.in_channels if first_conv is not None else 3,
        size,
        size,
        device=param.device if param is not None else None,
        dtype=param.dtype if param is not None else None)
    modes = [m.training for m in modules]
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            for m in modules:
                m.eval()
            feats = segmentor.extract_feat(x)
    except Exception as error:  # any backbone-specific size limit
        warnings.warn(
            f'Could not probe the backbone with a {size}x{size} input '
            f'({type(error).__name__}: {error}); head channels are checked '
            'at the first forward instead.')
        return None
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
    if isinstance(feats, torch.Tensor):
        feats = [feats]
    return [int(f.shape[1]) for f in feats]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _head_problems(key: str, head: nn.Module,
                   channels: List[int]) -> List[str]:
    """Mismatches of one mmseg decode head (``in_channels``/``in_index``,
    DeepLabV3+'s ``c1_in_channels``) with the probed channels."""
    if not hasattr(head, 'in_index') or not hasattr(head, 'in_channels'):
        return []
    outputs = (f'(the backbone has {len(channels)} outputs with {channels} '
               'channels)')
    index = _as_list(head.in_index)
    bad = [i for i in index if not -len(channels) <= i < len(channels)]
    if bad:
        return [f'{key}.in_index = {head.in_index} selects outputs {bad} '
                f'that do not exist {outputs}']
    got = [channels[i] for i in index]
    transform = getattr(head, 'input_transform', None)
    problems = []
    if transform == 'resize_concat':
        if head.in_channels != sum(got):
            problems.append(
                f'{key}.in_channels sum to {head.in_channels} but the '
                f'outputs at in_index {head.in_index} have {got} channels '
                f'{outputs}: set {key}.in_channels={got}')
    elif transform == 'multiple_select':
        if list(head.in_channels) != got:
            problems.append(
                f'{key}.in_channels is {list(head.in_channels)} but the '
                f'outputs at in_index {head.in_index} have {got} channels '
                f'{outputs}: set {key}.in_channels={got}')
    elif head.in_channels != got[0]:
        problems.append(
            f'{key}.in_channels is {head.in_channels} but output '
            f'{head.in_index} has {got[0]} channels {outputs}: set '
            f'{key}.in_channels={got[0]}')
    c1 = getattr(head, 'c1_bottleneck', None)
    if c1 is not None and getattr(c1, 'in_channels', None) != channels[0]:
        problems.append(
            f'{key}.c1_in_channels is {c1.in_channels} but output 0 (the '
            f'low-level features) has {channels[0]} channels {outputs}: set '
            f'{key}.c1_in_channels={channels[0]}')
    return problems


def check_head_channels(segmentor: nn.Module,
                        extra_heads: Dict[str, Optional[nn.Module]],
                        prefix: str = 'model.segmentor',
                        size: int = PROBE_SIZE) -> Optional[List[int]]:
    """Raise at build time if a head's input channels miss the backbone's.

    Probes the backbone (:func:`probe_feature_channels`) and compares
    ``decode_head``, every ``auxiliary_head`` and ``extra_heads`` (e.g.
    PseudoSeg's SGC head) with the channels it outputs. Skipped, with a
    warning, if the backbone cannot take the tiny input.

    Args:
        segmentor (nn.Module): A built ``EncoderDecoder``.
        extra_heads (dict[str, nn.Module | None]): Config key -> head, for
            heads outside the segmentor (None values are skipped).
        prefix (str): Config key of the segmentor, for the messages.
        size (int): Side of the probe input.

    Returns:
        list[int] | None: The probed channels (None if skipped).

    Raises:
        ValueError: Naming every ``in_channels``/``in_index``/
            ``c1_in_channels`` key at fault, the channels it has and the
            value to set.
    """
    channels = probe_feature_channels(segmentor, size)
    if channels is None:
        return None
    heads = {f'{prefix}.decode_head': segmentor.decode_head}
    aux = getattr(segmentor, 'auxiliary_head', None)
    if isinstance(aux, nn.ModuleList):
        heads.update(
            {f'{prefix}.auxiliary_head[{i}]': h
             for i, h in enumerate(aux)})
    elif aux is not None:
        heads[f'{prefix}.auxiliary_head'] = aux
    heads.update({k: v for k, v in extra_heads.items() if v is not None})
    problems = []
    for key, head in heads.items():
        problems.extend(_head_problems(key, head, channels))
    if problems:
        raise ValueError(
            'Head input channels do not match the backbone '
            f'({type(segmentor.backbone).__name__}):\n' +
            '\n'.join(f'- {p}' for p in problems))
    return channels
