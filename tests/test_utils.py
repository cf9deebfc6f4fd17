import importlib.util

import pytest
import torch
from mmengine.config import Config

from mmseg_pseudoseg.utils import adapt_cfg_for_device, install_mmcv_ops_shim


def _cfg():
    return Config(
        dict(
            model=dict(
                backbone=dict(norm_cfg=dict(type='SyncBN')),
                decode_head=dict(norm_cfg=dict(type='SyncBN')),
                heads=[dict(norm_cfg=dict(type='SyncBN'))]),
            env_cfg=dict(dist_cfg=dict(backend='nccl'))))


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_adapt_cfg_for_cpu_ddp():
    cfg = _cfg()
    notes = adapt_cfg_for_device(cfg, distributed=True)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'CPUDistributedDataParallel'
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.heads[0].norm_cfg.type == 'BN'
    assert any('3 model norm' in n for n in notes)


def test_adapt_cfg_leaves_single_process_runs_alone():
    cfg = _cfg()
    assert adapt_cfg_for_device(cfg, distributed=False) == []
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'


def test_mmcv_ops_shim_serves_point_sample():
    import mmcv.ops
    assert callable(mmcv.ops.point_sample)
    assert install_mmcv_ops_shim() is False  # already installed: no-op
    if importlib.util.find_spec('mmcv._ext') is None:  # mmcv-lite
        with pytest.raises(ModuleNotFoundError, match='compiled mmcv'):
            mmcv.ops.roi_align
