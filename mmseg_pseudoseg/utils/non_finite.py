"""Find NaN and infinite values in named tensors, with one device sync."""
import math
from typing import Iterable, List, Optional, Tuple

import torch
from torch import Tensor


def non_finite_flag(tensors: Iterable[Tensor]) -> Optional[Tensor]:
    """0-dim bool tensor, True if any floating-point element of
    ``tensors`` is NaN or inf (None if there are none); no device sync.

    Uses the max-norm (``torch.nn.utils.get_total_norm`` with ``inf``,
    foreach kernels grouped per device and dtype): it is NaN or inf exactly
    when an element is and never overflows; one pass over the data.
    Integer tensors are ignored.
    """
    floats = [t.detach() for t in tensors
              if t.is_floating_point() and t.numel()]
    if not floats:
        return None
    if hasattr(torch.nn.utils, 'get_total_norm'):  # torch>=2.6
        norm = torch.nn.utils.get_total_norm(floats, norm_type=math.inf)
    else:
        norm = torch.stack([t.abs().max().to(floats[0].device)
                            for t in floats]).max()
    return ~torch.isfinite(norm)


def all_finite(tensors: Iterable[Tensor]) -> bool:
    """Whether every floating-point element of ``tensors`` is finite (one
    device sync, see :func:`non_finite_flag`)."""
    flag = non_finite_flag(tensors)
    return flag is None or not bool(flag)


def non_finite_names(named: Iterable[Tuple[str, Tensor]]) -> List[str]:
    """Names of the floating-point tensors holding a NaN or an inf.

    Args:
        named (Iterable[tuple[str, Tensor]]): e.g. ``state_dict.items()``.

    Returns:
        list[str]: In the order given; empty when all are finite.
    """
    named = [(k, v) for k, v in named
             if isinstance(v, Tensor) and v.is_floating_point()]
    if all_finite(v for _, v in named):
        return []
    return [k for k, v in named if not bool(torch.isfinite(v).all())]


def describe_names(names: List[str], limit: int = 5) -> str:
    """``'a, b, c (and 12 more)'``: a readable, bounded list of names."""
    text = ', '.join(names[:limit])
    if len(names) > limit:
        text += f' (and {len(names) - limit} more)'
    return text


def named_tensors(obj, prefix: str = '') -> Iterable[Tuple[str, Tensor]]:
    """Yield ``(dotted.name, tensor)`` for every tensor in nested dicts and
    lists (a state dict, an optimizer state dict, a whole checkpoint)."""
    if isinstance(obj, Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from named_tensors(value, f'{prefix}.{key}'
                                     if prefix else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from named_tensors(value, f'{prefix}.{i}'
                                     if prefix else str(i))
