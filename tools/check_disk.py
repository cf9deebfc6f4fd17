"""Stop a CI run early when the disk cannot hold it.

``.ci/run`` installs two virtual environments into the clone and the test
suite writes its temporary runs under ``$TMPDIR``. When the disk fills half
way, the run fails minutes later in whichever test happened to be writing
("No space left on device"), which says nothing about the cause. This check
runs first, with the standard library only (no venv exists yet), and names
the folder that is short, how much it has and how much the run needs.

The amounts are measured on a clean clone (docs/en/notes/tests.md) with
some margin: a venv that already exists costs nothing.

    python3 tools/check_disk.py [--mmpretrain 0|1] [--root DIR]
"""
import argparse
import os
import shutil
import sys
import tempfile
from typing import Callable, Dict, List, Tuple

GB = 1024**3
# What each part of a CI run writes, in GiB (measured, rounded up).
MAIN_VENV_GB = 2.0  # .venv: torch 2.13.0 CPU + mmseg stack, 1.5 GiB
MMPRETRAIN_VENV_GB = 7.0  # .venv-mmpretrain: torch 2.14.1 CUDA build, 6.0
TMP_GB = 1.5  # pytest's temporary runs and pip's unpacking


def needs(root: str, mmpretrain: bool, tmp: str) -> List[Tuple[str, str,
                                                               float]]:
    """(folder, what, GiB) for each thing the run will write."""
    venvs = [(os.environ.get('VENV', '.venv'), 'main venv', MAIN_VENV_GB)]
    if mmpretrain:
        venvs.append((os.environ.get('MMPRETRAIN_VENV', '.venv-mmpretrain'),
                      'mmpretrain venv, PSEUDOSEG_CI_MMPRETRAIN=0 leaves it '
                      'out', MMPRETRAIN_VENV_GB))
    out = []
    for name, what, gb in venvs:
        venv = os.path.join(root, name)
        if not os.path.exists(os.path.join(venv, 'bin', 'python')):
            out.append((root, f'{venv} ({what})', gb))
    out.append((tmp, f'{tmp} (test runs, pip unpacking)', TMP_GB))
    return out


def shortfalls(items: List[Tuple[str, str, float]],
               free_bytes: Callable[[str], int],
               device: Callable[[str], int]) -> List[str]:
    """One message per file system that cannot hold what goes on it."""
    by_dev: Dict[int, List[Tuple[str, str, float]]] = {}
    for folder, what, gb in items:
        by_dev.setdefault(device(folder), []).append((folder, what, gb))
    errors = []
    for group in by_dev.values():
        folder = group[0][0]
        need = sum(gb for _, _, gb in group)
        free = free_bytes(folder) / GB
        if free < need:
            parts = '; '.join(f'{what}: {gb:.1f} GiB' for _, what, gb in group)
            errors.append(
                f'{folder}: {free:.1f} GiB free, the CI run needs '
                f'{need:.1f} GiB there ({parts}). Free some space first.')
    return errors


def check(root: str, mmpretrain: bool, tmp: str) -> List[str]:
    """The shortfalls of this machine's disks for a CI run in ``root``."""
    return shortfalls(needs(root, mmpretrain, tmp),
                      lambda p: shutil.disk_usage(p).free,
                      lambda p: os.stat(p).st_dev)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--mmpretrain', type=int, choices=(0, 1), default=1)
    parser.add_argument(
        '--root',
        default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args(argv)
    errors = check(os.path.abspath(args.root), bool(args.mmpretrain),
                   tempfile.gettempdir())
    for error in errors:
        print(f'check_disk: {error}', file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
