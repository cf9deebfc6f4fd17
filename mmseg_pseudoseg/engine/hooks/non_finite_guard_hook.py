"""Stop (or skip) training on NaN/inf before it reaches the weights, and
never save or evaluate non-finite weights."""
import functools
from typing import Dict, List, Optional

import torch
from mmengine.dist import (all_gather_object, all_reduce, get_rank,
                           get_world_size)
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, ApexOptimWrapper, OptimWrapperDict
from mmseg.registry import HOOKS
from torch import Tensor

from ...utils.checkpoint import checkpoint_due
from ...utils.non_finite import (describe_names, named_tensors,
                                 non_finite_flag, non_finite_names)
from ..utils import unwrap_model

ACTIONS = ('raise', 'skip')


class NonFiniteError(FloatingPointError):
    """Training met a NaN or inf; the message says where and what."""


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Guard training against NaN and infinite losses, gradients, weights.

    Where it acts, and why there:

    - **Loss and buffers** (every iteration): in ``before_train`` it wraps
      the model's ``parse_losses`` (on the module inside a DDP wrapper).
      Both ``BaseModel.train_step`` and
      ``MMDistributedDataParallel.train_step`` call it between the forward
      pass and ``optim_wrapper.update_params``, and it sees every loss by
      name, so the check names the keys, runs before any backward pass or
      optimizer step, and works unchanged for PseudoSeg, a plain mmseg
      ``EncoderDecoder`` and any other ``BaseModel``, with any optim
      wrapper (``--amp`` included). The model's buffers are checked there
      too: a diverging network can overflow BatchNorm running variances
      while its loss, computed with batch statistics, is still finite. The
      verdict is summed over processes (one 2-element all-reduce), so
      every DDP rank takes the same decision and none is left waiting in a
      gradient all-reduce. Cost: one device sync and a max-norm over the
      buffers (0.6 ms for DeepLabV3+ R50 on one CPU thread). An
      ``OptimWrapper`` subclass was not used: it sees only the summed
      loss, and ``--amp`` replaces its type.
    - **Gradients** (every step, plain ``OptimWrapper`` only): it wraps
      ``optim_wrapper.step``: a finite loss can still give inf gradients,
      and one step on them makes every weight NaN. With
      ``AmpOptimWrapper``/``ApexOptimWrapper`` this is left to dynamic loss
      scaling, which skips inf-gradient steps by design. DDP gradients are
      already averaged over ranks, so the decision is the same everywhere.
      Cost: one pass over the gradients (0.12 s for R50's 44M on one CPU
      thread, about 5% of its CPU step; a fraction of a millisecond on a
      GPU); ``check_grads=False`` turns it off.
    - **Weights**: before a ``CheckpointHook`` saves (checked in
      ``after_train_iter``/``after_train_epoch`` on every rank, before
      ``CheckpointHook`` deletes the oldest checkpoint it keeps), in
      ``before_save_checkpoint`` (every other save, e.g. best-metric
      checkpoints), after loading a checkpoint (``before_train``), and in
      ``before_val``/``before_test``: the argmax of NaN logits is class 0
      everywhere, which gives a plausible-looking mIoU.

    ``action='raise'`` (default) stops with :class:`NonFiniteError`, which
    names the iteration (1-based, as in the log), the loss keys and their
    values, or the first non-finite tensors. ``action='skip'`` drops the
    iteration instead: no backward pass, no optimizer or loss-scaler step,
    and the model's buffers (BatchNorm statistics, updated by the forward
    pass that produced the NaN) are put back as they were before it; the
    learning-rate schedule still advances. Each skip is logged as a
    warning naming the keys and values, the running count is logged every
    iteration as ``nonfinite_skips``, the skipped values are kept out of
    the smoothed losses of the log, and more than ``max_consecutive_skips``
    skips in a row stop training. Non-finite weights always stop training,
    in both modes.

    Args:
        action (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        check_grads (bool): Check gradients before each optimizer step
            (not for AMP/Apex wrappers). Defaults to True.
        max_consecutive_skips (int): With ``action='skip'``, stop after
            this many skipped iterations in a row. Defaults to 20.
    """
    priority = 'LOW'  # after_train_iter before CheckpointHook (VERY_LOW)

    def __init__(self,
                 action: str = 'raise',
                 check_grads: bool = True,
                 max_consecutive_skips: int = 20) -> None:
        if action not in ACTIONS:
            raise ValueError(f'NonFiniteGuardHook.action must be one of '
                             f'{ACTIONS}, got {action!r}')
        if max_consecutive_skips < 1:
            raise ValueError('NonFiniteGuardHook.max_consecutive_skips must '
                             f'be >= 1, got {max_consecutive_skips}')
        self.action = action
        self.check_grads = check_grads
        self.max_consecutive_skips = max_consecutive_skips
        self.skipped = 0
        self.consecutive = 0
        self._skip_step = False
        self._buffers: Optional[List[Tensor]] = None
        self._patched: list = []
        self._warned: set = set()

    # ------------------------------------------------------------------
    # Installation.
    def before_run(self, runner) -> None:
        # Runners built in one process from config files of the same name
        # within the same second share mmengine's MessageHub (it is named
        # after both); an earlier run's checkpoint is not this run's. Runs
        # before the resume, which restores this run's own record.
        runner.message_hub.update_info('last_ckpt', None)

    def before_train(self, runner) -> None:
        source = runner.cfg.get('load_from') or 'their initialisation'
        self._check_weights(
            runner, f'the weights training starts from ({source})')
        model = unwrap_model(runner)
        self._patch(model, 'parse_losses', self._wrap_parse_losses(runner))
        wrappers = runner.optim_wrapper
        wrappers = list(wrappers.values()) if isinstance(
            wrappers, OptimWrapperDict) else [wrappers]
        for wrapper in wrappers:
            self._patch(wrapper, 'update_params',
                        self._wrap_update_params(wrapper))
            if self.check_grads and not isinstance(
                    wrapper, (AmpOptimWrapper, ApexOptimWrapper)):
                self._patch(wrapper, 'step',
                            self._wrap_step(runner, wrapper))

    def _patch(self, obj, name: str, fn) -> None:
        """Shadow ``obj.name`` by ``fn`` on the instance (undone in
        ``after_train``)."""
        self._patched.append((obj, name, fn, obj.__dict__.get(name)))
        setattr(obj, name, fn)

    def after_train(self, runner) -> None:
        # Put back what was there: the class method, or an instance
        # attribute such as the counting wrapper mmengine's parameter
        # schedulers set on optim_wrapper.step.
        for obj, name, fn, previous in reversed(self._patched):
            if obj.__dict__.get(name) is not fn:
                continue
            if previous is None:
                del obj.__dict__[name]
            else:
                setattr(obj, name, previous)
        self._patched = []
        if self.skipped:
            runner.logger.warning(
                f'NonFiniteGuardHook: {self.skipped} iteration(s) of this '
                'run were skipped for non-finite losses or gradients')

    # ------------------------------------------------------------------
    # Loss.
    def _wrap_parse_losses(self, runner):
        parse_losses = unwrap_model(runner).parse_losses

        @functools.wraps(parse_losses)
        def checked_parse_losses(losses: Dict[str, Tensor]):
            loss, log_vars = parse_losses(losses)
            self._check_forward(runner, log_vars)
            if self.action == 'skip':
                if self._skip_step:
                    # Logged in the warning; kept out of the smoothed log
                    # so that it keeps showing the iterations trained on.
                    log_vars = type(log_vars)(
                        (k, v) for k, v in log_vars.items()
                        if bool(torch.isfinite(v).all()))
                # No 'loss' in the key: logged as is, not window-averaged.
                log_vars['nonfinite_skips'] = torch.tensor(
                    float(self.skipped))
            return loss, log_vars

        return checked_parse_losses

    def _check_forward(self, runner, log_vars: Dict[str, Tensor]) -> None:
        """Decide, the same way on every rank, whether the losses and the
        model's buffers (BatchNorm statistics, which the forward pass just
        updated) are finite; raise or mark the step to be skipped if not.
        One device sync and, with DDP, one 2-element all-reduce."""
        keys = list(log_vars)
        values = torch.stack(
            [log_vars[k].detach().float().mean() for k in keys])
        finite = torch.isfinite(values)
        is_loss = torch.tensor(['loss' in k for k in keys],
                               device=finite.device)
        buffers = list(unwrap_model(runner).named_buffers())
        buffer_flag = non_finite_flag(b for _, b in buffers)
        counts = torch.stack([
            (~finite & is_loss).sum(),
            torch.zeros_like(is_loss.sum()) if buffer_flag is None else
            buffer_flag.to(finite.device).long()
        ])
        if get_world_size() > 1:
            all_reduce(counts)
        n_bad_losses, n_bad_buffers = counts.tolist()
        if n_bad_losses == 0 and n_bad_buffers == 0:
            self._warn_diagnostics(runner, keys, finite.tolist())
            return
        bad = [
            f'{k}={v}'
            for k, v, ok in zip(keys, values.tolist(), finite.tolist())
            if not ok
        ]
        bad_buffers = non_finite_names(buffers) if n_bad_buffers else []
        if bad_buffers:
            bad.append(f'{len(bad_buffers)} buffer(s) '
                       f'{describe_names(bad_buffers)}')
        where = ', '.join(bad) or 'nothing here'
        if get_world_size() > 1:
            where = '; '.join(f'rank {r}: {w}' for r, w in enumerate(
                all_gather_object(where)))
        what = 'non-finite loss' if n_bad_losses else \
            'non-finite buffers after the forward pass (losses finite)'
        self._nonfinite_step(
            runner, f'{what} at iteration {runner.iter + 1}: {where}')

    def _warn_diagnostics(self, runner, keys: List[str],
                          finite: List[bool]) -> None:
        """Warn (once per key) about non-finite non-loss log values."""
        bad = {k for k, ok in zip(keys, finite) if not ok} - self._warned
        if bad:
            self._warned |= bad
            runner.logger.warning(
                f'Iteration {runner.iter + 1}: non-finite diagnostics '
                f'{", ".join(sorted(bad))} (losses are finite; warned '
                'once per key)')

    def _nonfinite_step(self, runner, what: str) -> None:
        """Raise, or skip this step (``action='skip'``)."""
        if self.action == 'raise':
            last = runner.message_hub.get_info('last_ckpt')
            raise NonFiniteError(
                f'{what}. Training stopped before the optimizer step on '
                'it; no checkpoint holds it and the last checkpoint is '
                f'{last or "(none saved yet)"}. Lower the learning '
                'rate or loss weights, or check the data; '
                "NonFiniteGuardHook(action='skip') skips such "
                'iterations instead.')
        self._skip_step = True
        self.skipped += 1
        self.consecutive += 1
        self._restore_buffers(runner)
        if self.consecutive > self.max_consecutive_skips:
            raise NonFiniteError(
                f'{what}: {self.consecutive} iterations in a row skipped, '
                f'more than max_consecutive_skips='
                f'{self.max_consecutive_skips}; training stopped')
        runner.logger.warning(
            f'{what}: skipped this iteration (no optimizer step); '
            f'{self.skipped} skipped so far, {self.consecutive} in a row')

    # ------------------------------------------------------------------
    # Optimizer step.
    def _wrap_update_params(self, wrapper):
        update_params = wrapper.update_params

        @functools.wraps(update_params)
        def guarded_update_params(loss, *args, **kwargs):
            if self._skip_step:
                return None  # no backward: the loss is not finite
            update_params(loss, *args, **kwargs)
            if not self._skip_step:
                self.consecutive = 0

        return guarded_update_params

    def _wrap_step(self, runner, wrapper):
        step = wrapper.step

        # wraps() also copies the attributes mmengine's parameter schedulers
        # put on optim_wrapper.step (_with_counter).
        @functools.wraps(step)
        def guarded_step(**kwargs):
            grads = [(f'{i}.{j}', p.grad)
                     for i, group in enumerate(wrapper.param_groups)
                     for j, p in enumerate(group['params'])
                     if p.grad is not None]
            bad = non_finite_names(grads)
            if not bad:
                return step(**kwargs)
            names = self._param_names(runner, wrapper, bad)
            self._nonfinite_step(
                runner, f'non-finite gradient at iteration '
                f'{runner.iter + 1} (losses finite) in {len(bad)} '
                f'parameter(s): {describe_names(names)}')
            return None  # skipped; update_params then zeroes the grads

        return guarded_step

    def _param_names(self, runner, wrapper, ids: List[str]) -> List[str]:
        """Module names for ``'group.index'`` ids of optimizer params."""
        by_id = {id(p): n for n, p in unwrap_model(runner).named_parameters()}
        names = []
        for key in ids:
            i, j = map(int, key.split('.'))
            p = wrapper.param_groups[i]['params'][j]
            names.append(by_id.get(id(p), f'param_groups[{i}][{j}]'))
        return names

    # ------------------------------------------------------------------
    # Skip mode: undo what the forward pass did to buffers.
    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._skip_step = False
        if self.action == 'skip':
            self._buffers = [
                b.detach().clone() for b in unwrap_model(runner).buffers()
            ]

    def _restore_buffers(self, runner) -> None:
        if self._buffers is None:
            return
        with torch.no_grad():
            for buf, saved in zip(unwrap_model(runner).buffers(),
                                  self._buffers):
                buf.copy_(saved)

    # ------------------------------------------------------------------
    # Weights: checkpoints, validation, test.
    def _check_weights(self,
                       runner,
                       what: str,
                       with_optimizer: bool = False) -> None:
        named = list(unwrap_model(runner).state_dict().items())
        if with_optimizer:
            named += named_tensors(runner.optim_wrapper.state_dict(),
                                   'optimizer')
        bad = non_finite_names(named)
        if bad:
            raise NonFiniteError(
                f'{what} hold {len(bad)} non-finite tensor(s) (rank '
                f'{get_rank()}): {describe_names(bad)}')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if checkpoint_due(runner):
            self._check_weights(
                runner, 'refusing to save a checkpoint at iteration '
                f'{runner.iter + 1} (earlier checkpoints are kept): the '
                'weights', with_optimizer=True)

    def after_train_epoch(self, runner) -> None:
        if checkpoint_due(runner, by_epoch=True):
            self._check_weights(
                runner, 'refusing to save a checkpoint at epoch '
                f'{runner.epoch + 1} (earlier checkpoints are kept): the '
                'weights', with_optimizer=True)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for part in ('state_dict', 'optimizer'):
            bad = non_finite_names(
                named_tensors(checkpoint.get(part, {}), part))
            if bad:
                meta = checkpoint.get('meta', {})
                raise NonFiniteError(
                    'refusing to save the checkpoint of iteration '
                    f'{meta.get("iter")} (epoch {meta.get("epoch")}): '
                    f'{len(bad)} non-finite tensor(s) in {part}: '
                    f'{describe_names(bad)}')

    def before_val(self, runner) -> None:
        self._check_weights(runner, 'refusing to validate: the weights')

    def before_test(self, runner) -> None:
        self._check_weights(runner, 'refusing to test: the weights')
