"""PseudoSeg (ICLR 2021) as an MMSegmentation 1.x plug-in.

Importing this package registers every component into mmseg's registries.
Configs pull it in once with
``custom_imports = dict(imports=['mmseg_pseudoseg'],
allow_failed_imports=False)``.
"""
from .utils.mmcv_lite_shim import install_mmcv_ops_shim
from .utils.torch_compat import allow_mmengine_checkpoint_globals

try:
    import mmcv  # noqa: F401
except ImportError as error:  # not installed with the package: setup.py
    raise ImportError(
        'mmseg_pseudoseg needs mmcv>=2.0.0rc4,<2.2.0, which it does not '
        'install (compiled mmcv and mmcv-lite would replace each other): '
        '`pip install mmcv-lite==2.1.0` on CPU, `mim install mmcv==2.1.0` '
        'with CUDA; see docs/en/get_started.md') from error

# Both must run before mmseg.models is imported / a checkpoint is loaded.
install_mmcv_ops_shim()
allow_mmengine_checkpoint_globals()

# imported for registration
from . import datasets, engine, evaluation, models, utils  # noqa: E402,F401
from . import visualization  # noqa: E402,F401

__version__ = '0.1.0'
