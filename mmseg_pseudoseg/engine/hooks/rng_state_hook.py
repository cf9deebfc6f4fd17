"""Save the random generators' states in checkpoints and restore them on
resume, so that a resumed run repeats the uninterrupted one bit for bit."""
from typing import Any, Dict, List, Optional

from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmseg.registry import HOOKS

from ...utils.checkpoint import checkpoint_due
from ...utils.rng_state import get_rng_state, set_rng_state

KEY = 'rng_state'


class _RestoreAfter:
    """Iterator proxy: restore RNG states before the ``skip + 1``-th item.

    ``IterBasedTrainLoop.run`` replays ``iter`` batches after a resume
    (``next()`` ``iter`` times, through the data pipeline: with
    ``num_workers=0`` that draws from the main process's generators) and
    only then fetches the first new batch. The saved states belong to the
    moment before that fetch, so they are restored there.
    """

    def __init__(self, iterator, skip: int, state: Dict[str, Any]) -> None:
        self.iterator = iterator
        self.skip = skip
        self.state: Optional[Dict[str, Any]] = state

    def __iter__(self):
        return self

    def __next__(self):
        if self.skip == 0 and self.state is not None:
            set_rng_state(self.state)
            self.state = None
        self.skip -= 1
        return next(self.iterator)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Bit-exact resume: checkpoints carry the generators' states.

    mmengine checkpoints restore weights, optimizer, schedulers, message
    hub and (by replaying batches) the data order, but not the states of
    Python's ``random``, numpy's global generator, torch's CPU generator
    and CUDA's. A resumed run therefore draws other dropout masks (and,
    with ``num_workers=0``, other augmentations) than the uninterrupted
    run would have. This hook adds ``checkpoint['rng_state']`` and restores
    it on ``--resume``, at the exact point of the loop where it was taken:
    for ``IterBasedTrainLoop`` just before the first new batch is fetched
    (after the replay of the old ones), for ``EpochBasedTrainLoop`` at the
    start of the first epoch.

    Distributed: every process has its own generators. When a checkpoint
    is due, each process's state is gathered to rank 0 (one small
    ``all_gather_object``; the save itself runs on rank 0 only), and on
    resume rank ``r`` restores state ``r``. If the number of processes
    changed, states are restored for the ranks both runs have and a
    warning says that the run cannot be an exact continuation (the batch
    each rank sees changes too).

    With ``isolate_val=True`` (default) validation runs on a copy of the
    generators' states: the iteration after a validation draws what it
    would have drawn without one. A resumed run does not repeat the
    validation of the iteration it resumes from, so without this the runs
    differ whenever validation and checkpointing share an iteration
    (``val_interval`` a multiple of the checkpoint interval: the usual
    setting). Evaluation (eval mode, deterministic test pipelines) draws
    nothing a metric depends on. With validation only at the end, as in
    the toy configs, training is bit-identical with or without this hook.

    Args:
        isolate_val (bool): Run validation on a copy of the generators'
            states. Defaults to True.
    """
    priority = 'LOW'  # after_train_iter before CheckpointHook (VERY_LOW)

    def __init__(self, isolate_val: bool = True) -> None:
        self.isolate_val = isolate_val
        self._loaded: Optional[Dict[str, Any]] = None
        self._gathered: Optional[tuple] = None
        self._pre_val: Optional[Dict[str, Any]] = None
        self._pre_val_all: Optional[List[Dict[str, Any]]] = None
        self._pending: Optional[Dict[str, Any]] = None

    # ------------------------------------------------------------------
    # Saving.
    def _gather(self, runner, step: tuple) -> None:
        if get_world_size() > 1:
            self._gathered = (step, all_gather_object(get_rng_state()))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if checkpoint_due(runner):
            self._gather(runner, ('iter', runner.iter))

    def after_train_epoch(self, runner) -> None:
        if checkpoint_due(runner, by_epoch=True):
            self._gather(runner, ('epoch', runner.epoch))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        world_size = get_world_size()
        if self._pre_val is not None:
            # Saved during validation (e.g. the best checkpoint): the
            # training stream continues from the pre-validation states.
            states = self._pre_val_all
        elif world_size == 1:
            states = [get_rng_state()]
        elif self._gathered is not None and self._gathered[0] in (
                ('iter', runner.iter), ('epoch', runner.epoch)):
            states = self._gathered[1]
        else:
            runner.logger.warning(
                'RNGStateHook: this checkpoint was saved outside the '
                'CheckpointHook schedule; it holds the RNG state of rank 0 '
                'only')
            states = [get_rng_state()]
        checkpoint[KEY] = dict(world_size=world_size, ranks=states)

    # ------------------------------------------------------------------
    # Validation on a copy of the states.
    def before_val(self, runner) -> None:
        if not self.isolate_val:
            return
        self._pre_val = get_rng_state()
        self._pre_val_all = all_gather_object(self._pre_val) \
            if get_world_size() > 1 else [self._pre_val]

    def after_val(self, runner) -> None:
        if self._pre_val is not None:
            set_rng_state(self._pre_val)
        self._pre_val = self._pre_val_all = None

    # ------------------------------------------------------------------
    # Restoring.
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Called for load_from too; applied in before_train only when the
        # run resumes (train_loop.iter > 0).
        self._loaded = checkpoint.get(KEY)

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        loaded, self._loaded = self._loaded, None
        if loop.iter == 0 and loop.epoch == 0:
            return  # a fresh run (or load_from): nothing to restore
        if loaded is None:
            runner.logger.warning(
                'RNGStateHook: the resumed checkpoint holds no RNG state '
                '(saved without this hook); the random draws from here on '
                '(dropout, augmentation with num_workers=0) differ from '
                'those of an uninterrupted run')
            return
        rank, world_size = get_rank(), get_world_size()
        saved_world = loaded['world_size']
        states = loaded['ranks']
        if saved_world != world_size:
            runner.logger.warning(
                f'RNGStateHook: the checkpoint was saved by {saved_world} '
                f'process(es), this run has {world_size}: the resumed run '
                'is not an exact continuation (each rank sees other '
                'batches); RNG states restored for ranks < '
                f'{min(len(states), world_size)} only')
        if rank >= len(states):
            return
        self._install(runner, states[rank])

    def _install(self, runner, state: Dict[str, Any]) -> None:
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfter(
                loop.dataloader_iterator, loop.iter, state)
            self._pending = None
        else:
            if not isinstance(loop, EpochBasedTrainLoop):
                runner.logger.warning(
                    f'RNGStateHook: {type(loop).__name__} is neither '
                    'IterBasedTrainLoop nor EpochBasedTrainLoop; RNG '
                    'states are restored at the start of the first epoch')
            self._pending = state
        runner.logger.info(f'RNGStateHook: RNG states of rank {get_rank()} '
                           'will be restored from the checkpoint')

    def before_train_epoch(self, runner) -> None:
        state, self._pending = self._pending, None
        if state is not None:
            set_rng_state(state)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        loop = runner.train_loop
        proxy = getattr(loop, 'dataloader_iterator', None)
        if isinstance(proxy, _RestoreAfter) and proxy.state is None:
            loop.dataloader_iterator = proxy.iterator  # done: unwrap
