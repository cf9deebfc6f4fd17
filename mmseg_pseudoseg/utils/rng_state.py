"""Capture and restore the random number generators of one process.

A training process draws from four global generators: Python's ``random``,
numpy's legacy global ``np.random`` (mmcv/mmseg transforms when
``num_workers=0``), torch's CPU generator (dropout, ``torch.rand`` in a
data preprocessor, the seed drawn when a DataLoader iterator starts) and,
with CUDA, the current device's generator. The captured state holds only
ints, tuples, strings and tensors, so it loads under
``torch.load(weights_only=True)``.
"""
import random
from typing import Any, Dict

import numpy as np
import torch


def get_rng_state() -> Dict[str, Any]:
    """The states of this process's global generators.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and ``cuda`` (None without
        an initialised CUDA context) entries.
    """
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    cuda = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        # The current device only: get_rng_state_all() would create a
        # context on every visible GPU.
        cuda = torch.cuda.get_rng_state()
    return dict(
        python=random.getstate(),
        numpy=(kind, torch.from_numpy(keys.astype(np.int64)), int(pos),
               int(has_gauss), float(gauss)),
        torch=torch.get_rng_state(),
        cuda=cuda)


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore states captured by :func:`get_rng_state`.

    The CUDA state is restored when both the state and CUDA are present.
    """
    random.setstate(_as_tuples(state['python']))
    kind, keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state(
        (kind, np.asarray(keys, dtype=np.int64).astype(np.uint32), pos,
         has_gauss, gauss))
    torch.set_rng_state(state['torch'])
    if state.get('cuda') is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'])


def _as_tuples(obj):
    """``random.setstate`` needs tuples; some loaders give lists."""
    if isinstance(obj, (list, tuple)):
        return tuple(_as_tuples(x) for x in obj)
    return obj
