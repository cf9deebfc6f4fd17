"""`pip install -e .` must not install mmcv-lite (or mmcv): compiled mmcv
and mmcv-lite are two distributions of the same package, so a dependency on
either would install it over the other. Offline: pip reads the metadata of
a copy of the project without resolving anything."""
import json
import os.path as osp
import re
import shutil
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

from .conftest import REPO


def _pip_report(tmp_path):
    """The metadata ``pip install -e .`` would install, from a copy."""
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('setup.py', 'MANIFEST.in', 'README.md'):
        shutil.copy(osp.join(REPO, name), src)
    for name in ('requirements', 'mmseg_pseudoseg'):
        shutil.copytree(
            osp.join(REPO, name),
            src / name,
            ignore=shutil.ignore_patterns('__pycache__'))
    report = tmp_path / 'report.json'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-deps',
        '--no-build-isolation', '--no-index', '--quiet', '--report',
        str(report), '-e',
        str(src)
    ],
                   check=True,
                   capture_output=True)
    install, = json.loads(report.read_text())['install']
    return install['metadata']


def _name(requirement: str) -> str:
    return re.split(r'[<>=!~; \[]', requirement, maxsplit=1)[0].lower()


def _unconditional(requires):
    """Requirements that apply without extras, as Requirement objects."""
    out = []
    for line in requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({'extra': ''}):
            out.append(req)
    return out


def test_install_requires_no_mmcv_and_extras_as_openmmlab(tmp_path):
    meta = _pip_report(tmp_path)
    plain = {r.name.lower() for r in _unconditional(meta['requires_dist'])}
    assert 'mmsegmentation' in plain and 'mmengine' in plain
    assert not plain & {'mmcv', 'mmcv-lite', 'mmcv-full'}, plain
    extras = set(meta['provides_extra'])
    assert {'tests', 'optional', 'mim', 'mmpretrain', 'all'} <= extras
    mim = [r for r in meta['requires_dist'] if 'extra == "mim"' in r]
    # the range mmseg 1.2.2 asserts at import
    assert [_name(r) for r in mim] == ['mmcv']
    assert Requirement(mim[0]).specifier == \
        Requirement('mmcv>=2.0.0rc4,<2.2.0').specifier
    pretrain = {
        _name(r)
        for r in meta['requires_dist'] if 'extra == "mmpretrain"' in r
    }
    assert {'mmpretrain', 'torchvision', 'timm'} <= pretrain


def test_no_dependency_pulls_in_mmcv():
    # Walk the installed dependency closure of the package's own runtime
    # requirements (what `pip install -e .` resolves): no mmcv anywhere.
    seen, todo, path = set(), ['mmseg_pseudoseg'], {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name)
        except metadata.PackageNotFoundError:
            continue  # an optional marker-less dep absent here
        for req in _unconditional(requires):
            child = req.name.lower().replace('_', '-')
            path.setdefault(child, name)
            todo.append(child)
    assert 'mmsegmentation' in seen and 'torch' in seen
    offenders = {n: path[n] for n in seen & {'mmcv', 'mmcv-lite'}}
    assert not offenders, f'pulled in by: {offenders}'


def test_missing_mmcv_says_how_to_install_it():
    # What a bare `pip install -e .` leaves: no mmcv at all.
    out = subprocess.run([
        sys.executable, '-c',
        "import sys; sys.modules['mmcv'] = None; import mmseg_pseudoseg"
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True)
    assert out.returncode != 0
    assert 'mmseg_pseudoseg needs mmcv>=2.0.0rc4,<2.2.0' in out.stderr
    assert 'pip install mmcv-lite==2.1.0' in out.stderr
    assert 'mim install mmcv==2.1.0' in out.stderr
