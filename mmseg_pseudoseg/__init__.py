"""PseudoSeg (ICLR 2021) as an MMSegmentation 1.x plug-in.

Importing this package registers every component into mmseg's registries.
Configs pull it in once with
``custom_imports = dict(imports=['mmseg_pseudoseg'],
allow_failed_imports=False)``.
"""
from .utils.mmcv_lite_shim import install_mmcv_ops_shim
from .utils.torch_compat import allow_mmengine_checkpoint_globals

# Both must run before mmseg.models is imported / a checkpoint is loaded.
install_mmcv_ops_shim()
allow_mmengine_checkpoint_globals()

# imported for registration
from . import datasets, engine, evaluation, models, utils  # noqa: E402,F401

__version__ = '0.1.0'
