"""Shared fixtures: the toy data set and tiny models built from the toy
configs (ResNetV1c-18 at 1/4 width), all on CPU."""
import logging
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg_pseudoseg.datasets import make_toy_dataset, set_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _cache_model_index_yaml():
    """Parse mmseg's model-index YAML files once per test session.

    For every ``mmseg::`` base, mmengine 0.10.7 first parses all 106
    metafiles of mmseg's model index (``_get_cfg_metainfo``) to see whether
    the name is a model, about 0.6 s each time; the files do not change
    during the tests, so the parsed documents are kept (read only).
    """
    import mmengine.config.utils as cfg_utils
    original, cache = cfg_utils.load, {}

    def load(file, *args, **kwargs):
        if args or kwargs or not str(file).endswith(('.yml', '.yaml')):
            return original(file, *args, **kwargs)
        if file not in cache:
            cache[file] = original(file)
        return cache[file]

    cfg_utils.load = load


def _skip_yapf_formatting():
    """Leave config dumps unformatted in the tests, in this process and in
    the Python processes the tests start.

    mmengine formats every ``Config.pretty_text`` with yapf (a Runner run
    dumps its config five times: log, work-dir file, visualizer,
    checkpoint meta), about 2.5 s a dump on the 2-core CI machine, half of
    a short test run's time. The text is the same Python before and after
    formatting (``tests/test_configs.py`` loads an unformatted dump back).
    Subprocesses get it from ``tests/_subprocess_speedups/sitecustomize.py``
    through PYTHONPATH.
    """
    import mmengine.config.config as cfg_module

    from ._subprocess_speedups.sitecustomize import unformatted
    cfg_module.FormatCode = unformatted
    folder = osp.join(osp.dirname(osp.abspath(__file__)),
                      '_subprocess_speedups')
    paths = [folder] + [
        p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p
    ]
    os.environ['PYTHONPATH'] = os.pathsep.join(paths)


_cache_model_index_yaml()
_skip_yapf_formatting()
PSEUDOSEG_TOY = osp.join(REPO, 'configs/pseudoseg/toy.py')
SUPERVISED_TOY = osp.join(REPO, 'configs/supervised/toy.py')


@pytest.fixture(autouse=True)
def _seed_and_scope():
    init_default_scope('mmseg')
    torch.manual_seed(0)
    np.random.seed(0)  # the data transforms draw from numpy's global RNG
    random.seed(0)


@pytest.fixture(autouse=True)
def _own_message_hub_and_logger():
    """Each test's runners get a MessageHub and a logger of their own.

    mmengine names both after the config file and the second a run starts,
    so two tests in one worker within a second (two toy configs are both
    ``toy.py``) would otherwise share them: the second run's log lines in
    the first run's file, the first run's records in the second's hub. The
    ones a test created are dropped (their log files closed) after it.
    """
    before = {cls: set(cls._instance_dict) for cls in (MessageHub, MMLogger)}
    yield
    for cls, names in before.items():
        for name in set(cls._instance_dict) - names:
            instance = cls._instance_dict.pop(name)
            for handler in list(getattr(instance, 'handlers', [])):
                if isinstance(handler, logging.FileHandler):
                    handler.close()
                    instance.removeHandler(handler)


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small toy set (16 train, 4 val images) written once per session."""
    root = str(tmp_path_factory.mktemp('toy_shapes'))
    return make_toy_dataset(root, num_train=16, num_val=4, seed=0)


def toy_cfg(path, data_root, work_dir, max_iters=4):
    """A toy config pointed at ``data_root`` with a short schedule."""
    # No yapf formatting of the config text the runner dumps (2 s a time).
    cfg = Config.fromfile(path, format_python_code=False)
    set_data_root(cfg._cfg_dict, data_root)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'PseudoLabelFusionHook':
            hook.log_interval = 1
    cfg.log_level = 'WARNING'
    return cfg


@pytest.fixture
def pseudoseg_model_cfg():
    return Config.fromfile(PSEUDOSEG_TOY).model


@pytest.fixture
def supervised_model_cfg():
    return Config.fromfile(SUPERVISED_TOY).model
