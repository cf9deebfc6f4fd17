"""Inject a fault into a real training run, to test how the run fails."""
import math
import os
import signal
import sys
import time
from typing import Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ..utils import unwrap_model

FAULTS = ('raise', 'kill', 'nan', 'kill_in_save')


class InjectedFault(RuntimeError):
    """The exception raised by ``FaultInjectionHook(fault='raise')``."""


@HOOKS.register_module()
class FaultInjectionHook(Hook):
    """Make one process of a training run fail at a chosen iteration.

    For testing only (``tools/fault_injection.py`` and the tests use it): it
    lets a test reproduce, in a real ``tools/train.py`` or
    ``tools/dist_train.sh`` run, what a crashed process or a diverging loss
    does to the run.

    Faults, at the start of iteration ``iteration`` (1-based, as printed in
    the log) on process ``rank`` (every process if None):

    - ``'raise'``: raise :class:`InjectedFault` (a Python exception);
    - ``'kill'``: send SIGKILL to the own process (like ``kill -9`` or the
      kernel's out-of-memory killer: no Python cleanup at all);
    - ``'nan'``: that iteration, the loss ``loss_key`` (default: the first
      key with ``loss`` in its name) returned by the model is NaN. The
      forward pass itself is untouched, so this tests the loss path only;
    - ``'kill_in_save'``: during the checkpoint save of that iteration
      (there must be one), write the first half of the checkpoint's bytes
      to the file being saved, then SIGKILL the own process: a process
      killed while writing a checkpoint.

    Args:
        fault (str): One of ``'raise'``, ``'kill'``, ``'nan'``,
            ``'kill_in_save'``.
        iteration (int): 1-based training iteration of the fault.
        rank (int, optional): Process that fails; None for all.
            Defaults to None.
        loss_key (str, optional): Loss made NaN by ``'nan'``.
    """
    priority = 'VERY_HIGH'

    def __init__(self,
                 fault: str,
                 iteration: int,
                 rank: Optional[int] = None,
                 loss_key: Optional[str] = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f'FaultInjectionHook.fault must be one of '
                             f'{FAULTS}, got {fault!r}')
        if iteration < 1:
            raise ValueError('FaultInjectionHook.iteration is 1-based, got '
                             f'{iteration}')
        self.fault = fault
        self.iteration = iteration
        self.rank = rank
        self.loss_key = loss_key
        self._handle = None

    def before_train(self, runner) -> None:
        if self.fault == 'nan':
            self._handle = unwrap_model(runner).register_forward_hook(
                self._poison_loss)
        self._runner = runner

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _due(self, runner) -> bool:
        return runner.iter + 1 == self.iteration and (
            self.rank is None or self.rank == get_rank())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.fault != 'kill_in_save' or not self._due(runner):
            return
        # mmengine serialises the checkpoint to memory, then writes the
        # bytes with the file backend's put(): cut that write in half.
        from mmengine.fileio.backends import LocalBackend

        def put(backend, obj: bytes, filepath) -> None:
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
                f.flush()
            print(f'FaultInjectionHook: kill_in_save on rank {get_rank()}, '
                  f'iteration {self.iteration}, {len(obj) // 2} of '
                  f'{len(obj)} bytes written to {filepath}',
                  file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        LocalBackend.put = put  # the process ends in it

    def _poison_loss(self, module, args, output):
        """Forward hook: NaN in one loss of a ``mode='loss'`` output."""
        if not (isinstance(output, dict) and self._due(self._runner)):
            return output
        keys = [k for k in output if 'loss' in k]
        key = self.loss_key or (keys[0] if keys else None)
        if key not in output:
            raise KeyError(f'FaultInjectionHook: no loss {key!r} in '
                           f'{sorted(output)}')
        output = dict(output)
        # NaN in value and gradient, as when NaN arises in the computation.
        output[key] = output[key] * math.nan
        return output

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if not self._due(runner) or self.fault in ('nan', 'kill_in_save'):
            return
        where = f'rank {get_rank()}, iteration {self.iteration}'
        # stderr, not the logger: other ranks log only errors, and a
        # killed process flushes nothing. The time lets a test measure how
        # long the other processes take to stop.
        print(f'FaultInjectionHook: {self.fault} on {where} at '
              f't={time.time():.3f}', file=sys.stderr, flush=True)
        if self.fault == 'kill':
            os.kill(os.getpid(), signal.SIGKILL)
        raise InjectedFault(f'injected exception on {where}')
