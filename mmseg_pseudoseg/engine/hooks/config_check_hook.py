"""Refuse to start on a config whose classes, heads and validators (or crop
sizes, or top-level variables) disagree."""
from typing import Sequence

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...utils.config_checks import TOP_LEVEL_KEYS, assert_config_consistent


@HOOKS.register_module()
class ConfigCheckHook(Hook):
    """Check the run's config before any training, validation or testing.

    In ``before_run`` (after the runner has built the model and the
    dataloaders, before weights are initialised or loaded and before the
    first iteration) it runs
    :func:`~mmseg_pseudoseg.utils.config_checks.check_config` on
    ``runner.cfg`` and raises ``ValueError`` naming every config key at
    fault: dataset classes vs. the heads' ``num_classes`` vs. the pipelines'
    ``ValidateSegMap``/``LoadImageLevelLabels``; preprocessor size vs.
    ``RandomCrop``/``CutOut``; top-level ``num_classes``, ``crop_size`` and
    ``data_root`` that a child config redefined without effect.

    Being a hook of the config, it runs wherever the config is run:
    ``tools/train.py``, ``tools/test.py``, ``Runner.from_cfg(cfg).train()``.

    Args:
        top_level_keys (Sequence[str]): Top-level variables checked against
            their uses. Defaults to ``('num_classes', 'crop_size',
            'data_root')``; ``()`` turns that part off.
    """
    priority = 'VERY_HIGH'

    def __init__(self,
                 top_level_keys: Sequence[str] = TOP_LEVEL_KEYS) -> None:
        unknown = set(top_level_keys) - set(TOP_LEVEL_KEYS)
        if unknown:
            raise ValueError(
                f'ConfigCheckHook.top_level_keys: {sorted(unknown)} are not '
                f'checked; choose from {TOP_LEVEL_KEYS}')
        self.top_level_keys = tuple(top_level_keys)

    def before_run(self, runner) -> None:
        cfg = runner.cfg
        source = f'config {cfg.filename}' if getattr(
            cfg, 'filename', None) else 'config'
        assert_config_consistent(cfg, self.top_level_keys, source)
        runner.logger.info(
            f'ConfigCheckHook: classes, heads, label validators and crop '
            f'sizes of {source} agree')
