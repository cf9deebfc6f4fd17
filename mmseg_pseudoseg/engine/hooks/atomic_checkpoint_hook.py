"""CheckpointHook whose checkpoints are never seen half-written."""
import os
import os.path as osp
from contextlib import contextmanager
from typing import Iterator

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...utils.checkpoint import (commit_file, stale_temporary_files,
                                 temporary_path, write_text_atomic)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that writes each checkpoint atomically.

    mmengine's hook writes ``iter_N.pth`` in place, and with
    ``max_keep_ckpts`` deletes the oldest kept checkpoint *before* writing
    the new one: a process killed during the write (``kill -9``, the
    out-of-memory killer, a pre-empted cluster job) leaves a truncated file
    under a final name and, with ``max_keep_ckpts=1``, no complete
    checkpoint at all. This hook instead

    1. writes the checkpoint to ``.iter_N.pth.tmp<pid>`` in the same
       folder, flushes it to disk (``fsync``) and renames it to
       ``iter_N.pth`` (``os.replace``, atomic on POSIX and Windows);
    2. then rewrites ``last_checkpoint`` the same way, so it only ever
       names a complete file;
    3. and only then deletes the checkpoint that ``max_keep_ckpts`` drops.

    Best-metric checkpoints (``save_best``) are written the same way.
    Temporary files left by a killed run are deleted at the start of the
    next one (they are hidden and never match ``iter_*.pth``, so
    ``--resume`` ignores them meanwhile). Remote ``out_dir`` (``s3://``...)
    and checkpoints saved as folders (DeepSpeed, FSDP) are left to
    mmengine. Arguments are ``CheckpointHook``'s.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not (is_main_process() and self._local):
            return
        for path in stale_temporary_files(self.out_dir):
            os.remove(path)
            print_log(
                f'AtomicCheckpointHook: removed {path}, left by a run that '
                'was killed while saving', 'current')

    @property
    def _local(self) -> bool:
        return '://' not in str(self.out_dir)

    @contextmanager
    def _atomic_saves(self, runner) -> Iterator[None]:
        """Within the block, ``runner.save_checkpoint`` writes through a
        temporary file and commits it (see the class docstring)."""
        if not self._local:
            yield
            return
        original = runner.save_checkpoint
        wrapped = vars(runner).get('save_checkpoint')  # another wrapper

        def save(out_dir, filename, *args, **kwargs):
            if not is_main_process():  # save_checkpoint is master-only
                return original(out_dir, filename, *args, **kwargs)
            path = osp.join(out_dir, filename)
            tmp = temporary_path(path)
            try:
                original(out_dir, osp.relpath(tmp, out_dir), *args,
                         **kwargs)
                if osp.isfile(tmp):
                    commit_file(tmp, path)
            finally:
                if osp.isfile(tmp):  # an exception before the commit
                    os.remove(tmp)

        runner.save_checkpoint = save
        try:
            yield
        finally:
            if wrapped is None:
                del runner.save_checkpoint  # the bound method again
            else:
                runner.save_checkpoint = wrapped

    def _save_checkpoint(self, runner) -> None:
        with self._atomic_saves(runner):
            super()._save_checkpoint(runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._atomic_saves(runner):
            super()._save_best_checkpoint(runner, metrics)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """mmengine's, with the drop of the oldest kept checkpoint moved
        after the new one and ``last_checkpoint`` are committed."""
        dropped = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                dropped = self.file_backend.join_path(
                    self.out_dir,
                    self.filename_tmpl.format(self.keep_ckpt_ids.popleft()))
            self.keep_ckpt_ids.append(step)
            # The checkpoint records the ids kept after this save.
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        self.last_ckpt = self.file_backend.join_path(
            self.out_dir, self.filename_tmpl.format(step))
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            self.filename_tmpl.format(step),
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        write_text_atomic(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if dropped is not None and dropped != self.last_ckpt:
            if self.file_backend.isfile(dropped):
                self.file_backend.remove(dropped)
            elif self.file_backend.isdir(dropped):  # DeepSpeed folders
                self.file_backend.rmtree(dropped)
