"""Stand-in ``mmcv.ops`` for mmcv-lite installs.

mmsegmentation 1.2.2 imports ``mmcv.ops.point_sample`` (and
``sigmoid_focal_loss``) at module level, so ``import mmseg.models`` fails with
``No module named 'mmcv._ext'`` under mmcv-lite. ``point_sample`` is pure
PyTorch; this module serves it from mmcv's own source file and turns every
other ``mmcv.ops`` name into a ``ModuleNotFoundError`` (the exception mmseg's
optional imports already catch). With compiled mmcv it does nothing.
"""
import importlib.util
import os
import sys
import types


def install_mmcv_ops_shim() -> bool:
    """Install the stand-in ``mmcv.ops`` if compiled ops are missing.

    Returns:
        bool: True if the stand-in was installed, False if it was not needed.
    """
    if 'mmcv.ops' in sys.modules:
        return False
    import mmcv
    if importlib.util.find_spec('mmcv._ext') is not None:
        return False  # full mmcv with compiled ops: nothing to do
    ops_dir = os.path.join(os.path.dirname(mmcv.__file__), 'ops')
    mod = types.ModuleType('mmcv.ops', 'mmcv-lite stand-in for mmcv.ops')
    # A package path lets `mmcv.ops.point_sample` (pure torch) load alone.
    mod.__path__ = [ops_dir]
    sys.modules['mmcv.ops'] = mod
    mmcv.ops = mod
    from mmcv.ops.point_sample import point_sample

    def sigmoid_focal_loss(*args, **kwargs):
        # mmseg's FocalLoss only calls this for CUDA tensors.
        raise NotImplementedError(
            'mmcv.ops.sigmoid_focal_loss needs compiled mmcv (CUDA only); '
            'mmcv-lite is installed')

    def __getattr__(name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(
            f'mmcv.ops.{name} needs compiled mmcv; mmcv-lite is installed',
            name='mmcv._ext')

    # Set after the import above, which bound the submodule attribute.
    mod.point_sample = point_sample
    mod.sigmoid_focal_loss = sigmoid_focal_loss
    mod.__getattr__ = __getattr__
    return True
