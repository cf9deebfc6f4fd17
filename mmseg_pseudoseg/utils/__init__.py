from .cpu_ddp import (CPUDistributedDataParallel, adapt_cfg_for_device,
                      patch_cuda_set_device)
from .mmcv_lite_shim import install_mmcv_ops_shim
from .torch_compat import allow_mmengine_checkpoint_globals

__all__ = [
    'CPUDistributedDataParallel', 'adapt_cfg_for_device',
    'patch_cuda_set_device', 'install_mmcv_ops_shim',
    'allow_mmengine_checkpoint_globals'
]
