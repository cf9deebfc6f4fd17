import math
import json
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmseg_pseudoseg.engine.hooks import PseudoLabelFusionHook, unsup_ramp
from .conftest import PSEUDOSEG_TOY, SUPERVISED_TOY, toy_cfg


def test_unsup_ramp_values():
    assert unsup_ramp(0, warmup_iters=2, rampup_iters=4) == 0.0
    assert unsup_ramp(1, 2, 4) == 0.0
    # sigmoid ramp: exp(-5 (1 - t)^2) at t = 0, 0.5, 1
    assert unsup_ramp(2, 2, 4) == pytest.approx(math.exp(-5))
    assert unsup_ramp(4, 2, 4) == pytest.approx(math.exp(-1.25))
    assert unsup_ramp(6, 2, 4) == 1.0
    assert unsup_ramp(100, 2, 4) == 1.0
    assert unsup_ramp(3, 2, 4, 'linear') == pytest.approx(0.25)
    assert unsup_ramp(0, 0, 0) == 1.0  # the paper's setting: no ramp
    with pytest.raises(ValueError, match='rampup_type'):
        unsup_ramp(0, 0, 1, 'cosine')


def test_hook_validates_arguments():
    with pytest.raises(ValueError, match='warmup_iters'):
        PseudoLabelFusionHook(warmup_iters=-1)
    with pytest.raises(ValueError, match='log_interval'):
        PseudoLabelFusionHook(log_interval=0)
    with pytest.raises(ValueError, match='rampup_type'):
        PseudoLabelFusionHook(rampup_type='step')


def _build_runner(cfg):
    runner = Runner.from_cfg(cfg)
    recorded = []

    class Recorder(Hook):
        priority = 'LOW'  # after PseudoLabelFusionHook (NORMAL)

        def before_train(self, runner):
            runner.sgc_start = {
                k: v.detach().clone()
                for k, v in runner.model.sgc_head.named_parameters()
            }

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            recorded.append(runner.model.unsup_scale)

    runner.register_hook(Recorder())
    return runner, recorded


def test_runner_trains_with_hook_logs_and_resumes(toy_root, tmp_path):
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path, max_iters=4)
    cfg.custom_hooks = [
        dict(
            type='PseudoLabelFusionHook',
            warmup_iters=1,
            rampup_iters=2,
            rampup_type='linear',
            log_interval=2)
    ]
    runner, recorded = _build_runner(cfg)
    runner.train()
    assert recorded == [0.0, 0.0, 0.5, 1.0]
    hist = runner.message_hub.get_info('pseudo_label/class_hist')
    assert len(hist) == 4 and sum(hist) == pytest.approx(1.0, abs=1e-4)
    assert 0 < runner.message_hub.get_scalar(
        'train/pl_valid_ratio').current() <= 1
    scalars = runner.message_hub.log_scalars
    assert 'train/unsup_loss_ce' in scalars
    assert 'train/sup_decode.loss_ce' in scalars
    # The SGC head trains: its CE and the classifier's BCE are logged and
    # every learnable parameter moved.
    assert 'train/sup_sgc.loss_ce' in scalars
    assert 'train/sup_sgc.loss_cls' in scalars
    for name, param in runner.model.sgc_head.named_parameters():
        moved = not torch.equal(param, runner.sgc_start[name])
        assert moved == param.requires_grad, name
    assert osp.isfile(osp.join(tmp_path, 'iter_4.pth'))
    assert 'val/mIoU' in scalars  # validated at the end of training
    # The toy set's unlabeled images carry labels (for diagnostics): the
    # per-class quality of each pseudo-label source is logged, one JSON
    # line per log interval, and summarised as scalars.
    for src in ('pseudo', 'decoder', 'sgc'):
        assert 0 <= scalars[f'train/pl_miou_{src}'].current() <= 1
        assert 0 <= scalars[f'train/pl_fg_to_bg_{src}'].current() <= 1
    lines = [
        json.loads(line) for line in open(
            osp.join(runner.log_dir, 'pseudo_label_quality.jsonl'))
    ]
    assert [r['iter'] for r in lines] == [2, 4]
    assert len(lines[0]['classes']) == 4
    for src in ('pseudo', 'decoder', 'sgc'):
        summary = lines[-1][src]
        assert len(summary['iou']) == 4 and sum(summary['pixels']) > 0
    assert set(lines[-1]['classifier']) == {'precision', 'recall'}
    assert len(lines[-1]['classifier']['recall']) == 3

    # Resume from iter_2 and train to 6: the schedule continues where it
    # stopped, weights come from the checkpoint.
    cfg2 = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path, max_iters=6)
    cfg2.custom_hooks = cfg.custom_hooks
    cfg2.resume = True
    cfg2.load_from = osp.join(tmp_path, 'iter_4.pth')
    runner2, recorded2 = _build_runner(cfg2)
    runner2.train()
    assert runner2.iter == 6
    assert recorded2 == [1.0, 1.0]
    assert osp.isfile(osp.join(tmp_path, 'iter_6.pth'))


def test_hook_rejects_models_without_the_api(toy_root, tmp_path):
    cfg = toy_cfg(SUPERVISED_TOY, toy_root, tmp_path, max_iters=1)
    cfg.custom_hooks = [dict(type='PseudoLabelFusionHook')]
    runner = Runner.from_cfg(cfg)
    with pytest.raises(TypeError, match='set_unsup_scale.*EncoderDecoder'):
        runner.train()
