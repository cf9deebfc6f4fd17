"""Refuse to start when a ``Pretrained`` init would load nothing or a
partial match."""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from torch import nn

REMOTE = ('http://', 'https://', 'open-mmlab://', 'torchvision://',
          'mmcls://', 'pavi://', 's3://')


def pretrained_inits(model: nn.Module) -> List[Tuple[str, nn.Module, dict]]:
    """``(module name, module, init dict)`` of every ``Pretrained`` init in
    ``model``'s modules' ``init_cfg`` (a dict or a list of them)."""
    found = []
    for name, module in model.named_modules():
        init = getattr(module, 'init_cfg', None)
        for cfg in init if isinstance(init, (list, tuple)) else [init]:
            if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
                found.append((name or 'model', module, cfg))
    return found


def check_pretrained(model: nn.Module, hint: Optional[str] = None) -> int:
    """Raise unless every local ``Pretrained`` checkpoint of ``model``
    exists and its keys (after ``prefix``) are exactly its module's, each
    tensor of the module's shape (mmengine skips a tensor of another shape
    with a warning, and the run trains it from random weights).

    Args:
        model (nn.Module): The model, before ``init_weights``.
        hint (str, optional): The command that makes the file, for the
            message.

    Returns:
        int: Checkpoints checked (remote ones are left to the loader).
    """
    from mmengine.runner.checkpoint import (_load_checkpoint,
                                            _load_checkpoint_with_prefix)
    checked = 0
    make = f'; make it with `{hint}`' if hint else ''
    for name, module, cfg in pretrained_inits(model):
        path = cfg.get('checkpoint')
        if not path or str(path).startswith(REMOTE):
            continue
        if not osp.isfile(osp.expanduser(path)):
            raise FileNotFoundError(
                f'{name}: init_cfg Pretrained checkpoint {path} does not '
                f'exist{make}')
        prefix = cfg.get('prefix')
        if prefix:
            state = _load_checkpoint_with_prefix(prefix, path, 'cpu')
        else:
            state = _load_checkpoint(path, 'cpu', logger='silent')
            state = state.get('state_dict', state)
        own = module.state_dict()
        want, have = set(own), set(state)
        if want != have:
            raise KeyError(
                f'{name}: checkpoint {path} (prefix {prefix!r}) does not '
                f'match the module: {len(want - have)} keys missing (e.g. '
                f'{sorted(want - have)[:3]}), {len(have - want)} unexpected '
                f'(e.g. {sorted(have - want)[:3]}){make}')
        shapes = [(k, tuple(state[k].shape), tuple(own[k].shape))
                  for k in sorted(want)
                  if hasattr(state[k], 'shape')
                  and tuple(state[k].shape) != tuple(own[k].shape)]
        if shapes:
            key, got, need = shapes[0]
            raise ValueError(
                f'{name}: checkpoint {path} (prefix {prefix!r}) does not '
                f'match the module: {len(shapes)} tensors of another shape '
                f'(e.g. {key}: {got} in the file, {need} in the model; '
                f'another width?){make}')
        checked += 1
    return checked


@HOOKS.register_module()
class PretrainedCheckHook(Hook):
    """Check the model's ``Pretrained`` checkpoints before weights load.

    mmengine's ``PretrainedInit`` loads with ``strict=False``: a checkpoint
    whose keys or tensor shapes do not match loads partly (or not at all)
    with a warning in the log, and the run trains from random weights. In
    ``before_run`` (before ``init_weights``) this hook raises instead,
    naming the file and ``hint``, the command that makes it; see
    :func:`check_pretrained`.

    Args:
        hint (str, optional): Command that makes the checkpoint.
    """
    priority = 'VERY_HIGH'

    def __init__(self, hint: Optional[str] = None) -> None:
        self.hint = hint

    def before_run(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        n = check_pretrained(model, self.hint)
        runner.logger.info(f'PretrainedCheckHook: {n} local Pretrained '
                           'checkpoint(s) match their modules')
