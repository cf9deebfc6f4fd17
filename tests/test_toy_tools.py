"""docs/en/user_guides/4_train_test.md, "Every tool at toy scale", run as a
user runs them (subprocesses).

The commands are that page's with the test's paths: the page trains
configs/pseudoseg/toy.py on data/toy_shapes for 20 + 20 iterations; here a
config derived from it (tools/derive_config.py: smaller crop, the test's toy
set, no dataloader workers) trains 2 + 1. tools/train.py, tools/test.py and
tools/dist_train.sh themselves are run by tests/test_tools.py,
tools/visualize_pseudo_labels.py by tests/test_visualization.py.
"""
import glob
import os
import os.path as osp
import shlex
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from .conftest import REPO

DERIVE = ('python tools/derive_config.py configs/pseudoseg/toy.py {config} '
          '--crop-size 48 48 --data-root {data}')
TRAIN = ('python tools/train.py {config} --work-dir {work} --cfg-options '
         'train_cfg.max_iters=2 train_cfg.val_interval=2 '
         'param_scheduler.0.end=3')
RESUME = ('python tools/train.py {config} --work-dir {work} --resume '
          '--cfg-options train_cfg.max_iters=3 train_cfg.val_interval=3 '
          'param_scheduler.0.end=3')
DIST_TEST = 'bash tools/dist_test.sh {config} {work}/iter_3.pth 2 ' \
    '--work-dir {work}'
# Test-only: no dataloader worker processes on the 2 shared cores.
NO_WORKERS = ' '.join(f'{loader}.num_workers=0 {loader}.persistent_workers='
                      'False' for loader in ('train_dataloader',
                                             'val_dataloader',
                                             'test_dataloader'))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(command, **fmt):
    args = shlex.split(command.format(**fmt))
    if args[0] == 'python':
        args[0] = sys.executable
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1')
    out = subprocess.run(
        args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    return log


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU path')
def test_toy_tools_as_in_readme(toy_root, tmp_path):
    config = str(tmp_path / 'toy_48.py')
    log = _run(
        DERIVE + ' --cfg-options ' + NO_WORKERS,
        config=config,
        data=toy_root)
    assert 'model.segmentor.data_preprocessor.size' in log
    cfg = Config.fromfile(config, format_python_code=False)
    assert cfg.model.segmentor.data_preprocessor.size == (48, 48)
    assert cfg.train_dataloader.dataset.labeled.pipeline[4].crop_size == \
        (48, 48)
    assert cfg.val_dataloader.dataset.data_root == toy_root
    # What the primitives will carry (the docs' snippet): the config
    # check, pictures of pseudo labels, the toy leaves' top-level
    # variables set to what they use.
    cfg.custom_hooks = [
        dict(type='PseudoLabelFusionHook', log_interval=1),
        dict(type='ConfigCheckHook'),
        dict(type='PseudoLabelVisualizationHook', interval=2),
    ]
    cfg.num_classes = cfg.toy_num_classes
    cfg.dump(config)

    work = str(tmp_path / 'work')
    log = _run(TRAIN, config=config, work=work)
    assert 'ConfigCheckHook: classes, heads, label validators and crop ' \
        f'sizes of config {config} agree' in log
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert glob.glob(osp.join(work, '*/vis_data/vis_image/pseudo_label_*_2'
                              '.png'))
    log = _run(RESUME, config=config, work=work)
    assert 'resumed epoch: 0, iter: 2' in log
    assert osp.isfile(osp.join(work, 'iter_3.pth'))
    log = _run(DIST_TEST, config=config, work=work)
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'mIoU' in log
