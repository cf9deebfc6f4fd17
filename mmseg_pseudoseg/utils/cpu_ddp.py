"""Distributed training on CPU (gloo) with mmengine.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and its
``MMDistributedDataParallel`` wrapper always passes ``device_ids``; both fail
without CUDA. :func:`adapt_cfg_for_device` rewrites a config so that the same
config runs with nccl on GPUs and with gloo on CPU, which is what
``tools/dist_train.sh`` relies on.
"""
from typing import Any

import torch
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that drops ``device_ids`` for CPU models.

    Args:
        module (nn.Module): The model to wrap.
        device_ids (list, optional): Passed on only for CUDA models.
        output_device (int, optional): Passed on only for CUDA models.
        **kwargs: Other ``DistributedDataParallel`` arguments.
    """

    def __init__(self, module, device_ids=None, output_device=None, **kwargs):
        if next(module.parameters()).is_cuda:
            kwargs.update(device_ids=device_ids, output_device=output_device)
        super().__init__(module=module, **kwargs)


def patch_cuda_set_device() -> None:
    """Make ``torch.cuda.set_device`` a no-op when there is no CUDA."""
    if not torch.cuda.is_available():
        torch.cuda.set_device = lambda device: None


def _replace_syncbn(node: Any) -> int:
    """Replace ``SyncBN`` with ``BN`` in a nested config, in place.

    Returns:
        int: How many norm configs were replaced.
    """
    count = 0
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
            count += 1
        for value in node.values():
            count += _replace_syncbn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _replace_syncbn(value)
    return count


def adapt_cfg_for_device(cfg: Config, distributed: bool) -> list:
    """Rewrite a training/testing config for distributed runs on CPU.

    On CUDA machines, and for non-distributed runs, nothing changes (mmseg's
    SyncBN already falls back to BN in a single process). For distributed
    runs without CUDA the backend becomes gloo, the model wrapper drops
    ``device_ids`` and ``SyncBN`` becomes ``BN`` (SyncBN needs CUDA).

    Args:
        cfg (Config): The config, modified in place.
        distributed (bool): Whether a launcher other than ``none`` is used.

    Returns:
        list[str]: Human-readable notes of what was changed.
    """
    if not distributed or torch.cuda.is_available():
        return []
    patch_cuda_set_device()
    notes = []
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        dist_cfg['backend'] = 'gloo'
        notes.append('env_cfg.dist_cfg.backend -> gloo')
    wrapper = cfg.get('model_wrapper_cfg') or {}
    if wrapper.get('type', 'MMDistributedDataParallel') == \
            'MMDistributedDataParallel':
        wrapper = dict(wrapper, type='CPUDistributedDataParallel')
        cfg['model_wrapper_cfg'] = wrapper
        notes.append('model_wrapper_cfg.type -> CPUDistributedDataParallel')
    n_syncbn = _replace_syncbn(cfg['model'])
    if n_syncbn:
        notes.append(f'SyncBN -> BN in {n_syncbn} model norm configs')
    return notes
