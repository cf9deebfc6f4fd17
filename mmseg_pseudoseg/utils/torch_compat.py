"""Let mmengine checkpoints load under ``torch.load(weights_only=True)``.

torch>=2.6 defaults to ``weights_only=True`` and mmengine 0.10.7 does not pass
``weights_only``, so resuming fails on ``HistoryBuffer`` and numpy globals.
This allowlists exactly the globals an mmengine checkpoint holds, under both
numpy 1 (``numpy.core``) and numpy 2 (``numpy._core``) spellings, so
checkpoints load across numpy versions. ``getattr`` is needed by numpy
scalar pickles; allowlisting it is acceptable for one's own checkpoints.
"""
import numpy as np
import torch


def allow_mmengine_checkpoint_globals() -> None:
    """Add the globals of an mmengine checkpoint to torch's allowlist."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return  # torch<2.4 has no weights_only default to work around
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar  # numpy>=2
    except ImportError:
        from numpy.core.multiarray import _reconstruct, scalar  # numpy 1.x
    dtype_classes = [
        type(np.dtype(t))
        for t in ('float16', 'float32', 'float64', 'int8', 'int16', 'int32',
                  'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool')
    ]
    modules = ('numpy.core', 'numpy._core')
    torch.serialization.add_safe_globals(
        [HistoryBuffer, np.ndarray, np.dtype, getattr] + dtype_classes +
        [(_reconstruct, f'{m}.multiarray._reconstruct') for m in modules] +
        [(scalar, f'{m}.multiarray.scalar') for m in modules])
