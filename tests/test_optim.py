"""The optimiser as the release builds it (spec Sec. 10): weight decay on
convolution and linear weights only, biases at twice the lr."""
import copy

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS

from .conftest import PSEUDOSEG_TOY, REPO, SUPERVISED_TOY

VOC = REPO + '/configs/pseudoseg/voc_1-8.py'


def _groups(model, optim_cfg):
    """name -> (lr multiplier, decay multiplier) of each trainable
    parameter in the optimiser that ``optim_cfg`` builds for ``model``."""
    wrapper = build_optim_wrapper(model, copy.deepcopy(optim_cfg))
    base_lr = optim_cfg['optimizer']['lr']
    base_wd = optim_cfg['optimizer']['weight_decay']
    by_id = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            by_id[id(p)] = (group['lr'] / base_lr,
                            group['weight_decay'] / base_wd)
    return {
        name: by_id[id(p)]
        for name, p in model.named_parameters() if p.requires_grad
    }


def _expected(model):
    """What the release gives each parameter, from its module's type."""
    out = {}
    for mod_name, module in model.named_modules():
        for p_name, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            name = f'{mod_name}.{p_name}' if mod_name else p_name
            norm = isinstance(module, (nn.modules.batchnorm._BatchNorm,
                                       nn.GroupNorm, nn.LayerNorm))
            depthwise = isinstance(module, nn.Conv2d) and \
                module.groups == module.in_channels > 1
            sgc_conv = name.startswith('sgc_head.') and name.split('.')[1] \
                in ('query', 'key', 'conv_seg')
            if norm:
                out[name] = (1.0, 0.0)
            elif p_name == 'bias':
                out[name] = (2.0, 0.0)
            elif depthwise or sgc_conv:
                out[name] = (1.0, 0.0)
            else:  # convolution and linear weights
                out[name] = (1.0, 1.0)
    return out


@pytest.mark.parametrize('path', [PSEUDOSEG_TOY, SUPERVISED_TOY, VOC])
def test_param_groups_are_the_releases(path):
    cfg = Config.fromfile(path)
    if path == VOC:  # the VOC schedule on the toy-sized model
        toy = Config.fromfile(PSEUDOSEG_TOY)
        cfg.model.segmentor = toy.model.segmentor
        cfg.model.sgc_head = toy.model.sgc_head
    model = MODELS.build(cfg.model)
    got = _groups(model, cfg.optim_wrapper)
    assert got == _expected(model)
    # The rules above name these parameters (a change of module names
    # would otherwise make the check vacuous).
    named = {
        'backbone.stem.0.weight': (1.0, 1.0),  # convolution
        'backbone.stem.1.weight': (1.0, 0.0),  # BN
        'backbone.stem.1.bias': (1.0, 0.0),
        'decode_head.conv_seg.weight': (1.0, 1.0),
        'decode_head.conv_seg.bias': (2.0, 0.0),
        'decode_head.sep_bottleneck.0.depthwise_conv.conv.weight':
        (1.0, 0.0),
        'decode_head.sep_bottleneck.0.pointwise_conv.conv.weight':
        (1.0, 1.0),
        'auxiliary_head.conv_seg.bias': (2.0, 0.0),
    }
    if 'sgc_head' in cfg.model:
        named = {f'segmentor.{k}': v for k, v in named.items()}
        named.update({
            'sgc_head.classifier.weight': (1.0, 1.0),  # the logits layer
            'sgc_head.classifier.bias': (2.0, 0.0),
            'sgc_head.query.weight': (1.0, 0.0),
            'sgc_head.key.weight': (1.0, 0.0),
            'sgc_head.conv_seg.weight': (1.0, 0.0),
            'sgc_head.norm.bias': (1.0, 0.0),
        })
    for name, mults in named.items():
        assert got[name] == mults, name
