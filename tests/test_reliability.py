"""NonFiniteGuardHook, RNG state and checkpoint helpers inside a real
mmengine Runner (toy model, a few iterations, CPU)."""
import copy
import functools
import io
import math
import os
import os.path as osp
import random
import time

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
import mmengine.runner.runner as mmengine_runner_module
from mmengine.runner import Runner

from mmseg_pseudoseg.engine.hooks import (FaultInjectionHook, NonFiniteError,
                                          NonFiniteGuardHook, RNGStateHook)
from mmseg_pseudoseg.utils.checkpoint import (CheckpointError,
                                              check_checkpoint,
                                              find_resumable_checkpoint)
from mmseg_pseudoseg.utils.cli import add_reliability_hooks
from mmseg_pseudoseg.utils.non_finite import non_finite_names
from mmseg_pseudoseg.utils.rng_state import get_rng_state, set_rng_state
from .conftest import PSEUDOSEG_TOY, SUPERVISED_TOY, toy_cfg


def _cfg(path, toy_root, work_dir, max_iters=4, **guard):
    cfg = toy_cfg(path, toy_root, work_dir, max_iters=max_iters)
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.type not in ('PseudoLabelFusionHook', 'NonFiniteGuardHook')
    ] + [dict(type='NonFiniteGuardHook', **guard)]
    return cfg


def _params(runner):
    return {k: v.detach().clone() for k, v in
            runner.model.named_parameters()}


class _Recorder(Hook):
    """Model, buffers and optimizer state around training iteration
    ``iteration`` (1-based)."""
    priority = 'LOWEST'

    def __init__(self, iteration):
        self.iteration = iteration
        self.before = self.after = None

    @staticmethod
    def _state(runner):
        # Optimizer state only: the lr schedule advances every iteration,
        # skipped or not.
        return (copy.deepcopy(runner.model.state_dict()),
                copy.deepcopy(runner.optim_wrapper.state_dict()['state']))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.iteration:
            self.before = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration:
            self.after = self._state(runner)


def _assert_same(a, b):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def test_nan_loss_stops_before_the_step(toy_root, tmp_path):
    # A plain mmseg EncoderDecoder; PseudoSeg's NaN is in the next test.
    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path)
    cfg.custom_hooks.append(
        dict(type='FaultInjectionHook', fault='nan', iteration=3))
    runner = Runner.from_cfg(cfg)
    # FaultInjectionHook makes the model's first loss NaN.
    with pytest.raises(NonFiniteError,
                       match=r'iteration 3: loss=nan, decode.loss_ce=nan\. '):
        runner.train()
    # The step of iteration 3 never happened: the weights and the optimizer
    # state are those of the iteration-2 checkpoint, and nothing later was
    # saved.
    saved = torch.load(osp.join(tmp_path, 'iter_2.pth'))
    for name, value in runner.model.named_parameters():
        assert torch.equal(value, saved['state_dict'][name]), name
    _assert_same(runner.optim_wrapper.state_dict(), saved['optimizer'])
    assert not osp.exists(osp.join(tmp_path, 'iter_4.pth'))


def test_huge_unsup_weight_stops_with_the_loss_named(toy_root, tmp_path):
    # The fault as users meet it: unsup_weight=1e38 gives a finite but huge
    # loss at iteration 1 (the step makes the weights huge), and NaN losses
    # from iteration 2 on.
    cfg = _cfg(PSEUDOSEG_TOY, toy_root, tmp_path)
    cfg.model.unsup_weight = 1e38
    with pytest.raises(NonFiniteError,
                       match=r'non-finite loss at iteration 2: loss=nan, .*'
                       r'unsup\S*=nan.*last checkpoint is \(none'):
        Runner.from_cfg(cfg).train()
    assert not osp.exists(osp.join(tmp_path, 'iter_2.pth'))


class _OneSecondClock:
    """The runner module's ``time``, with every run started in one
    second."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def localtime(*_):
        return time.localtime(0)


def test_last_checkpoint_named_is_this_runs(toy_root, tmp_path,
                                            monkeypatch):
    # Two runs in one process from config files of the same name, started
    # within one second (a quick failure, then a rerun; two tests): mmengine
    # names the MessageHub after both, so they share it. The second run's
    # error must not name the first run's checkpoint as its own.
    monkeypatch.setattr(mmengine_runner_module, 'time', _OneSecondClock())
    first = Runner.from_cfg(
        _cfg(SUPERVISED_TOY, toy_root, tmp_path / 'first', max_iters=2))
    first.train()
    assert osp.isfile(tmp_path / 'first' / 'iter_2.pth')
    second = _cfg(SUPERVISED_TOY, toy_root, tmp_path / 'second')
    second.custom_hooks.append(
        dict(type='FaultInjectionHook', fault='nan', iteration=1))
    second = Runner.from_cfg(second)
    assert second.message_hub is first.message_hub  # the case under test
    with pytest.raises(NonFiniteError,
                       match=r'last checkpoint is \(none saved yet\)'):
        second.train()


def test_skip_mode_leaves_model_and_optimizer_untouched(toy_root, tmp_path):
    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path, action='skip')
    cfg.custom_hooks.append(
        dict(type='FaultInjectionHook', fault='nan', iteration=2))
    cfg.log_level = 'INFO'
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder(iteration=2)
    runner.register_hook(recorder)
    runner.train()  # runs to the end
    guard = [h for h in runner.hooks if isinstance(h, NonFiniteGuardHook)]
    assert guard[0].skipped == 1 and guard[0].consecutive == 0
    # Parameters, BatchNorm statistics and momentum: as before iteration 2.
    _assert_same(recorder.before, recorder.after)
    assert runner.iter == 4
    assert not non_finite_names(runner.model.state_dict().items())
    # after_train undid the wrapping (and kept the schedulers' counter).
    assert 'parse_losses' not in vars(runner.model)
    assert hasattr(runner.optim_wrapper.step, '_with_counter')
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert ('non-finite loss at iteration 2: loss=nan, decode.loss_ce=nan: '
            'skipped this iteration (no optimizer step); 1 skipped so far, '
            '1 in a row' in log), log[-3000:]
    # The running count is in every log line, and the smoothed losses
    # cover the trained iterations only.
    last = [line for line in log.splitlines() if 'Iter(train) [4/4]' in line]
    assert 'nonfinite_skips: 1.0' in last[0] and 'nan' not in last[0]


def test_skip_mode_gives_up_after_too_many_in_a_row(toy_root, tmp_path):
    cfg = _cfg(
        SUPERVISED_TOY,
        toy_root,
        tmp_path,
        action='skip',
        max_consecutive_skips=2)
    cfg.model.decode_head.loss_decode.loss_weight = float('inf')
    with pytest.raises(NonFiniteError,
                       match=r'iteration 3: loss=inf, decode.loss_ce=inf: 3 '
                       'iterations in a row skipped'):
        Runner.from_cfg(cfg).train()


class _NaNGrad(Hook):
    """Make one parameter's gradient NaN at ``iteration`` (finite loss)."""

    def __init__(self, iteration, name):
        self.iteration, self.name = iteration, name

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.iteration:
            param = dict(runner.model.named_parameters())[self.name]
            param.register_hook(lambda grad: grad * math.nan)


def test_nan_gradient_with_finite_loss_stops(toy_root, tmp_path):
    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path)
    runner = Runner.from_cfg(cfg)
    name = 'decode_head.conv_seg.weight'
    runner.register_hook(_NaNGrad(2, name))
    recorder = _Recorder(iteration=2)
    runner.register_hook(recorder)
    with pytest.raises(NonFiniteError,
                       match=rf'gradient at iteration 2 .* {name}'):
        runner.train()
    params, _ = recorder.before
    for key, value in runner.model.named_parameters():
        assert torch.equal(value, params[key]), key  # no step taken


class _NaNWeight(Hook):
    """Poison a weight after the step of ``iteration``, before the
    checkpoint of that iteration is written."""
    priority = 'HIGH'

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration:
            with torch.no_grad():
                runner.model.decode_head.conv_seg.weight[0, 0] = math.inf


def test_no_checkpoint_or_validation_with_non_finite_weights(
        toy_root, tmp_path):
    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    runner = Runner.from_cfg(cfg)
    runner.register_hook(_NaNWeight(4))
    with pytest.raises(NonFiniteError,
                       match=r'refusing to save a checkpoint at iteration 4'
                       r'.*decode_head.conv_seg.weight'):
        runner.train()
    # CheckpointHook would have deleted iter_2.pth (max_keep_ckpts=1)
    # before writing iter_4.pth; it got to do neither.
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) \
        == ['iter_2.pth']
    # Other save paths (e.g. best-metric checkpoints) are refused too.
    with pytest.raises(NonFiniteError, match='in state_dict'):
        runner.save_checkpoint(str(tmp_path), 'other.pth')
    assert not osp.exists(osp.join(tmp_path, 'other.pth'))
    with pytest.raises(NonFiniteError, match='refusing to validate'):
        runner.val_loop.run()


def test_guard_and_fault_hooks_validate_arguments():
    with pytest.raises(ValueError, match='action'):
        NonFiniteGuardHook(action='ignore')
    with pytest.raises(ValueError, match='max_consecutive_skips'):
        NonFiniteGuardHook(max_consecutive_skips=0)
    with pytest.raises(ValueError, match='fault'):
        FaultInjectionHook(fault='segfault', iteration=1)
    with pytest.raises(ValueError, match='1-based'):
        FaultInjectionHook(fault='raise', iteration=0)


def test_rng_state_round_trips_through_a_checkpoint():
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leaves a cached Gaussian in numpy's state
    buf = io.BytesIO()
    torch.save(dict(rng_state=get_rng_state()), buf)
    expected = (random.random(), np.random.randn(), torch.rand(3))
    buf.seek(0)  # loads with weights_only=True (torch>=2.6 default)
    set_rng_state(torch.load(buf)['rng_state'])
    got = (random.random(), np.random.randn(), torch.rand(3))
    assert got[:2] == expected[:2] and torch.equal(got[2], expected[2])


def test_reliability_hooks_added_unless_configured(toy_root, tmp_path):
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path)
    # The shipped configs list both; a user's config may list one or none.
    assert add_reliability_hooks(cfg) == []
    cfg.custom_hooks = [
        dict(type='PseudoLabelFusionHook'),
        dict(type='NonFiniteGuardHook', action='skip')
    ]
    assert add_reliability_hooks(cfg) == ['RNGStateHook']
    types = [h['type'] for h in cfg.custom_hooks]
    assert types == [
        'PseudoLabelFusionHook', 'NonFiniteGuardHook', 'RNGStateHook'
    ]
    assert cfg.custom_hooks[1]['action'] == 'skip'
    assert RNGStateHook().isolate_val


def _save(path, it, **extra):
    ckpt = dict(
        meta=dict(epoch=0, iter=it),
        state_dict=dict(w=torch.ones(2)),
        message_hub={},
        **extra)
    torch.save(ckpt, path)
    return open(path, 'rb').read()


def test_check_checkpoint_names_file_and_reason(tmp_path):
    good = str(tmp_path / 'iter_1.pth')
    data = _save(good, 1)
    check_checkpoint(good, for_resume=True)
    cases = {
        'empty.pth': (b'', 'is empty \\(0 bytes\\)'),
        'cut.pth': (data[:len(data) // 2], 'is truncated'),
        'text.pth': (b'not a checkpoint\n', 'is not a torch checkpoint'),
    }
    for name, (content, reason) in cases.items():
        path = str(tmp_path / name)
        open(path, 'wb').write(content)
        with pytest.raises(CheckpointError, match=f'{path} {reason}'):
            check_checkpoint(path)
    torch.save(dict(state_dict={}), str(tmp_path / 'weights.pth'))
    check_checkpoint(str(tmp_path / 'weights.pth'))  # enough for load_from
    with pytest.raises(CheckpointError, match='lacks meta, message_hub'):
        check_checkpoint(str(tmp_path / 'weights.pth'), for_resume=True)
    with pytest.raises(FileNotFoundError, match='nope.pth does not exist'):
        check_checkpoint(str(tmp_path / 'nope.pth'))


def test_resume_falls_back_to_the_newest_readable(tmp_path):
    work = str(tmp_path)
    for it in (2, 4, 6):
        data = _save(osp.join(work, f'iter_{it}.pth'), it)
    open(osp.join(work, 'iter_6.pth'), 'wb').write(data[:100])
    open(osp.join(work, 'iter_4.pth'), 'wb').close()
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_6.pth'))
    path, notes = find_resumable_checkpoint(work)
    assert path == osp.join(work, 'iter_2.pth')
    assert len(notes) == 2
    assert 'iter_6.pth is truncated' in notes[0]
    assert 'iter_4.pth is empty' in notes[1]

    os.remove(osp.join(work, 'iter_2.pth'))
    with pytest.raises(CheckpointError,
                       match=r'no readable checkpoint .* tried 2'):
        find_resumable_checkpoint(work)
    # An empty work dir is a fresh start, as with mmengine.
    assert find_resumable_checkpoint(str(tmp_path / 'new')) == (None, [])


def test_amp_loss_scaling_still_skips_inf_gradient_steps(
        toy_root, tmp_path, monkeypatch):
    # AmpOptimWrapper insists on CUDA; on CPU we let it run dynamic loss
    # scaling with torch's CPU GradScaler. The guard leaves inf-gradient
    # steps to the scaler (losses are finite here), but still stops on a
    # NaN loss.
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
    monkeypatch.setattr(amp, 'is_cuda_available', lambda: True)
    monkeypatch.setattr(amp, 'GradScaler',
                        functools.partial(torch.amp.GradScaler, 'cpu'))
    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path)
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = dict(init_scale=2.**127)
    # loss ~1300: times 2**127 it overflows, so every step has inf
    # gradients until the scale has come down.
    cfg.model.decode_head.loss_decode.loss_weight = 1000.0
    runner = Runner.from_cfg(cfg)
    runner.train()
    scaler = runner.optim_wrapper.loss_scaler
    assert scaler.get_scale() == 2.**123  # halved at each of 4 steps
    # The scaler skipped every optimizer step: no momentum buffer yet.
    saved = torch.load(osp.join(tmp_path, 'iter_4.pth'))
    assert saved['optimizer']['state'] == {}

    cfg = _cfg(SUPERVISED_TOY, toy_root, tmp_path / 'nan')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.custom_hooks.append(
        dict(type='FaultInjectionHook', fault='nan', iteration=2))
    with pytest.raises(NonFiniteError, match='iteration 2: loss=nan'):
        Runner.from_cfg(cfg).train()


def _epoch_cfg(toy_root, work_dir, max_epochs):
    cfg = _cfg(SUPERVISED_TOY, toy_root, work_dir)
    cfg.custom_hooks.append(dict(type='RNGStateHook'))
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
    # 2 labeled toy images at batch 2: one iteration per epoch.
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True)
    cfg.param_scheduler[0].end = 4  # iterations of the full 4-epoch run
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=True, interval=2)
    return cfg


def test_epoch_based_resume_is_exact(toy_root, tmp_path):
    # The decode head has dropout; the new Runner of the resumed half
    # re-seeds every generator, and RNGStateHook puts them back.
    full = Runner.from_cfg(_epoch_cfg(toy_root, tmp_path / 'full', 4))
    full.train()
    Runner.from_cfg(_epoch_cfg(toy_root, tmp_path / 'half', 2)).train()
    cfg = _epoch_cfg(toy_root, tmp_path / 'half', 4)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    want = full.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, want[key]), key
