"""Checkpoint helpers: readability checks, resume fallback, save schedule,
atomic writes.

mmengine loads a checkpoint with a bare ``torch.load`` and reports an
empty file as ``EOFError`` and a truncated one as a zip error, without the
file name; ``--resume`` takes whatever ``last_checkpoint`` names. The
helpers here give errors that name the file and the reason, and let
``tools/train.py --resume`` fall back to the newest checkpoint that reads.
"""
import os
import os.path as osp
import re
import zipfile
from typing import Any, List, Optional, Tuple

import torch
from mmengine.hooks import CheckpointHook

_ZIP_MAGIC = b'PK\x03\x04'
_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')
# Temporary names of files being written: '.<final name>.tmp<pid>', hidden
# and never matching _STEP, so no reader takes one for a checkpoint.
_TEMP = re.compile(r'^\.(.+)\.tmp\d+$')


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used; the message names the file
    and the reason."""


def _load_for_check(path: str) -> Any:
    """Load ``path`` as cheaply as torch allows, or raise CheckpointError.

    A zip-format checkpoint (torch>=1.6) is loaded with ``mmap=True``: the
    pickle is parsed and every tensor record is looked up in the archive,
    but tensor data is mapped, not read, so the cost does not grow with
    the size of the weights. Legacy-format files (old model zoos) are
    loaded in full.
    """
    with open(path, 'rb') as f:
        head = f.read(4)
    is_zip = zipfile.is_zipfile(path)
    if head == _ZIP_MAGIC and not is_zip:
        raise CheckpointError(
            f'checkpoint {path} is truncated ({osp.getsize(path)} bytes, the '
            'zip archive has no end record: the write was interrupted)')
    try:
        if is_zip:
            return torch.load(path, map_location='cpu', mmap=True)
        return torch.load(path, map_location='cpu')
    except Exception as e:  # any reason torch gives is the reason
        kind = 'is truncated or corrupt' if is_zip else \
            'is not a torch checkpoint'
        raise CheckpointError(f'checkpoint {path} {kind}: '
                              f'{type(e).__name__}: {e}') from e


def check_checkpoint(path: str, for_resume: bool = False) -> None:
    """Raise an error naming ``path`` and the reason if it is unusable.

    Checks that the file exists, is not empty, loads (cheaply, see
    :func:`_load_for_check`) and holds a state dict; with ``for_resume``
    also the ``meta`` (epoch, iter) and ``message_hub`` a resume needs.
    Remote paths (``http://``, ``open-mmlab://``...) are left to mmengine.

    Args:
        path (str): The checkpoint file.
        for_resume (bool): Require what ``Runner.resume`` reads.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        CheckpointError: If it is empty, truncated, not a checkpoint, or
            lacks what it must hold.
    """
    if '://' in path and not osp.exists(path):
        return
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    if osp.getsize(path) == 0:
        raise CheckpointError(f'checkpoint {path} is empty (0 bytes)')
    ckpt = _load_for_check(path)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'checkpoint {path} holds a '
                              f'{type(ckpt).__name__}, not a dict')
    if for_resume:
        missing = [k for k in ('state_dict', 'meta', 'message_hub')
                   if k not in ckpt]
        meta = ckpt.get('meta', {})
        if 'meta' in ckpt:
            missing += [f'meta.{k}' for k in ('epoch', 'iter')
                        if not isinstance(meta, dict) or k not in meta]
        if missing:
            raise CheckpointError(f'checkpoint {path} cannot be resumed '
                                  f'from: it lacks {", ".join(missing)}')
    elif 'state_dict' not in ckpt and not any(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(f'checkpoint {path} holds neither a '
                              '"state_dict" nor any tensor')


def _candidates(work_dir: str, notes: List[str]) -> List[str]:
    """Checkpoints to try for ``--resume``, newest first."""
    named = None
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            named = f.read().strip()
        if not named:
            notes.append(f'{marker} is empty')
            named = None
        elif not osp.isfile(named):
            notes.append(f'{marker} names {named}, which does not exist')
            named = None
    found = {}
    for folder in {work_dir, osp.dirname(named) if named else work_dir}:
        for name in os.listdir(folder):
            match = _STEP.match(name)
            if match:
                found[osp.join(folder, name)] = int(match.group(1))
    # Newest step first; the file last_checkpoint names wins a tie.
    order = sorted(found, key=lambda p: (found[p], p == named), reverse=True)
    if named and named not in found:
        order.insert(0, named)
    return order


def find_resumable_checkpoint(
        work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The newest checkpoint in ``work_dir`` that can be resumed from.

    Candidates are the file ``last_checkpoint`` names and every
    ``iter_N.pth`` / ``epoch_N.pth`` beside it or in ``work_dir``, newest
    step first; each is checked with :func:`check_checkpoint` until one
    passes. A file newer than ``last_checkpoint`` (written, but the run
    died before updating the marker) is preferred if it reads.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        tuple[str | None, list[str]]: The checkpoint (None when the work
        dir holds none: a fresh start) and notes for the log: every file
        skipped and why.

    Raises:
        CheckpointError: If there are checkpoints but none reads; it names
            every file tried and why it failed.
    """
    notes: List[str] = []
    if not osp.isdir(work_dir):
        return None, notes
    candidates = _candidates(work_dir, notes)
    for path in candidates:
        try:
            check_checkpoint(path, for_resume=True)
        except (CheckpointError, OSError) as e:
            notes.append(f'skipped {e}')
            continue
        return path, notes
    if candidates:
        raise CheckpointError(
            f'--resume: no readable checkpoint in {work_dir}; tried '
            f'{len(candidates)}:\n  ' + '\n  '.join(notes))
    return None, notes


def checkpoint_due(runner, by_epoch: bool = False) -> bool:
    """Whether a ``CheckpointHook`` of ``runner`` saves after this train
    iteration (``by_epoch=False``) or epoch (mirrors the hook's
    ``after_train_iter`` and ``after_train_epoch``).

    Hooks that must act before that save on every process (the save itself
    runs on rank 0 only) call this from their own ``after_train_iter`` /
    ``after_train_epoch``, with a priority above ``CheckpointHook``'s
    ``VERY_LOW``.
    """
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
            continue
        if by_epoch:
            due = hook.every_n_epochs(runner, hook.interval, hook.save_begin)
            last = hook.is_last_train_epoch(runner)
        else:
            due = hook.every_n_train_iters(runner, hook.interval,
                                           hook.save_begin)
            last = hook.is_last_train_iter(runner)
        if due or (hook.save_last and last):
            return True
    return False


def temporary_path(path: str) -> str:
    """The name :func:`commit_file` expects ``path`` to be written under
    first: ``.<name>.tmp<pid>`` in the same folder (a rename across file
    systems is not atomic)."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}.tmp{os.getpid()}')


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (where the OS allows it)."""
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_file(tmp_path: str, path: str) -> None:
    """Flush ``tmp_path`` to disk and rename it to ``path`` atomically.

    Readers see either the old ``path`` (or none) or the complete new file,
    never a partial one, even if the process is killed or the machine
    loses power at any point.

    Raises:
        FileNotFoundError: Naming ``tmp_path`` if it was not written.
    """
    if not osp.isfile(tmp_path):
        raise FileNotFoundError(
            f'cannot commit {path}: its temporary file {tmp_path} does not '
            'exist')
    with open(tmp_path, 'rb') as f:  # fsync flushes the file, any fd
        os.fsync(f.fileno())
    os.replace(tmp_path, path)
    _fsync_dir(osp.dirname(path))


def write_text_atomic(path: str, text: str) -> None:
    """Write a small text file (e.g. ``last_checkpoint``) atomically."""
    tmp = temporary_path(path)
    with open(tmp, 'w') as f:
        f.write(text)
    commit_file(tmp, path)


def stale_temporary_files(folder: str) -> List[str]:
    """Temporary files (see :func:`temporary_path`) in ``folder`` left by a
    process that died while writing; the current process's are not
    listed."""
    if not osp.isdir(folder):
        return []
    own = f'.tmp{os.getpid()}'
    return sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if _TEMP.match(name) and not name.endswith(own))
