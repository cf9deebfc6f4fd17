"""Other backbones: heads' channels checked at build time, and the example
configs (mmseg's MobileNetV2; mmpretrain's ConvNeXt and timm's Xception-65,
which need the mmpretrain extra and are skipped without it)."""
import glob
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_pseudoseg.utils import model_checks
from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg

EXAMPLES = osp.join(REPO, 'configs/examples')
MOBILENET = osp.join(
    EXAMPLES,
    'pseudoseg_deeplabv3plus_mobilenet-v2-d8_voc12aug-1-8-512x512.py')
MMPRETRAIN_EXAMPLES = {
    'convnext-t': [96, 192, 384, 768],
    'xception65-os16': [256, 728, 1024, 2048],
}


def _example(name):
    path, = glob.glob(osp.join(EXAMPLES, f'*_{name}_*.py'))
    return path


def _mmpretrain_or_skip():
    """Import mmpretrain's models; skip without them, unless
    PSEUDOSEG_REQUIRE_MMPRETRAIN=1 (the mmpretrain venv) makes it fail."""
    try:
        import mmpretrain.models  # noqa: F401
        import timm  # noqa: F401
    except Exception as error:  # ImportError, or a torchvision build error
        if os.environ.get('PSEUDOSEG_REQUIRE_MMPRETRAIN') == '1':
            raise
        pytest.skip(f'mmpretrain extra not usable here: {error!r}')


def test_sgc_in_channels_checked_at_build():
    cfg = Config.fromfile(PSEUDOSEG_TOY).model
    cfg.sgc_head.in_channels = [1024, 2048]  # ResNet-50's, not the toy's
    with pytest.raises(
            ValueError,
            match=r'model\.sgc_head\.in_channels is \[1024, 2048\] but the '
            r'outputs at in_index \[2, 3\] have \[64, 128\] channels .*set '
            r'model\.sgc_head\.in_channels=\[64, 128\]'):
        MODELS.build(cfg)


def test_every_head_key_named():
    cfg = Config.fromfile(PSEUDOSEG_TOY).model
    seg = cfg.segmentor
    seg.decode_head.in_channels = 2048
    seg.decode_head.c1_in_channels = 256
    seg.auxiliary_head.in_index = 7
    with pytest.raises(ValueError) as error:
        MODELS.build(cfg)
    message = str(error.value)
    assert 'do not match the backbone (ResNetV1c)' in message
    assert 'model.segmentor.decode_head.in_channels is 2048 but output 3 ' \
        'has 128 channels' in message
    assert 'model.segmentor.decode_head.c1_in_channels is 256 but output ' \
        '0 (the low-level features) has 16 channels' in message
    assert 'model.segmentor.auxiliary_head.in_index = 7 selects outputs ' \
        '[7] that do not exist (the backbone has 4 outputs with [16, 32, ' \
        '64, 128] channels)' in message


def test_probe_changes_nothing(monkeypatch):
    cfg = Config.fromfile(PSEUDOSEG_TOY).model
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    after_probe = torch.rand(3)
    assert model.training and model.segmentor.backbone.training
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert int(m.num_batches_tracked) == 0
            assert torch.all(m.running_mean == 0)
    monkeypatch.setattr(model_checks, 'probe_feature_channels',
                        lambda *args, **kwargs: None)
    torch.manual_seed(0)
    unprobed = MODELS.build(cfg)
    assert torch.equal(after_probe, torch.rand(3))  # same draws
    for a, b in zip(model.state_dict().values(),
                    unprobed.state_dict().values()):
        assert torch.equal(a, b)


class _NeedsLargeInputs(nn.Module):
    """A backbone that refuses inputs under 96 pixels (like some ViTs)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=8, padding=1)

    def forward(self, x):
        if min(x.shape[2:]) < 96:
            raise ValueError('input too small')
        return (self.conv(x), )


def test_probe_skipped_when_the_backbone_refuses_a_tiny_input():
    MODELS.register_module('NeedsLargeInputs', module=_NeedsLargeInputs,
                           force=True)
    cfg = Config.fromfile(PSEUDOSEG_TOY).model
    seg = cfg.segmentor
    seg.backbone = dict(type='NeedsLargeInputs')
    seg.decode_head.update(in_channels=8, in_index=0, c1_in_channels=0)
    seg.auxiliary_head = None
    cfg.sgc_head.update(in_channels=[8], in_index=[0])
    with pytest.warns(UserWarning, match='Could not probe the backbone with '
                      'a 64x64 input .*checked at the first forward'):
        model = MODELS.build(cfg)
    assert model.sgc_head.in_channels == [8]


def _mobilenet_model(**sgc):
    cfg = Config.fromfile(MOBILENET).model
    cfg.segmentor.pretrained = None  # no download in tests
    cfg.sgc_head.update(sgc)
    return cfg


def test_mobilenet_example_builds_and_predicts():
    cfg = Config.fromfile(MOBILENET)
    assert cfg.train_dataloader.dataset.labeled.ann_file.endswith(
        'data_splits/voc12/183/labeled.txt')
    model = MODELS.build(_mobilenet_model())
    channels = model_checks.probe_feature_channels(model.segmentor)
    assert channels == [24, 32, 96, 320]
    model.eval()
    with torch.no_grad():
        assert model._forward(torch.rand(1, 3, 64, 64)).shape == \
            (1, 21, 16, 16)  # the decoder's stride 4


def test_mobilenet_without_its_sgc_channels_fails_at_build():
    with pytest.raises(ValueError,
                       match=r'model\.sgc_head\.in_channels is \[1024, 2048\]'
                       r' but .* have \[96, 320\] channels'):
        MODELS.build(_mobilenet_model(in_channels=[1024, 2048]))


def test_mobilenet_without_delete_fails(tmp_path):
    # What "_delete_=True" is for (docs/en/user_guides/6_backbones.md):
    # without it the MobileNetV2 dict is merged into ResNet's and receives
    # ResNet's arguments.
    text = open(MOBILENET).read()
    old = "_delete_=True,  # drop ResNet's keys (depth, num_stages, ...)\n"
    assert text.count(old) == 1
    text = text.replace(' ' * 12 + old, '')
    text = text.replace("('../pseudoseg/", f"('{REPO}/configs/pseudoseg/")
    path = tmp_path / 'no_delete.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path)).model
    assert cfg.segmentor.backbone.depth == 101
    cfg.segmentor.pretrained = None
    with pytest.raises(TypeError, match='depth'):
        MODELS.build(cfg)


@pytest.mark.parametrize('name', sorted(MMPRETRAIN_EXAMPLES))
def test_mmpretrain_example_config_is_consistent(name):
    # Loads without mmpretrain: keys and channels as the comments say.
    cfg = Config.fromfile(_example(name), import_custom_modules=False)
    assert 'mmpretrain.models' in cfg.custom_imports.imports
    seg = cfg.model.segmentor
    assert seg.pretrained is None
    assert seg.backbone.type.startswith('mmpretrain.')
    assert 'depth' not in seg.backbone  # _delete_ dropped ResNet's keys
    channels = MMPRETRAIN_EXAMPLES[name]
    assert seg.decode_head.in_channels == channels[3]
    assert seg.decode_head.c1_in_channels == channels[0]
    assert seg.auxiliary_head.in_channels == channels[2]
    assert cfg.model.sgc_head.in_channels == channels[2:]


def _no_download(backbone):
    backbone.pop('init_cfg', None)
    if backbone.type.endswith('TIMMBackbone'):
        backbone.pretrained = False
    return backbone


@pytest.mark.parametrize('name', sorted(MMPRETRAIN_EXAMPLES))
def test_mmpretrain_example_builds_and_trains(name, toy_root, tmp_path):
    _mmpretrain_or_skip()
    example = Config.fromfile(_example(name)).model
    model_cfg = example.copy()
    model_cfg.segmentor.backbone = _no_download(model_cfg.segmentor.backbone)
    model = MODELS.build(model_cfg)  # probes the backbone
    assert model_checks.probe_feature_channels(model.segmentor) == \
        MMPRETRAIN_EXAMPLES[name]
    # Two training steps on the toy set with this backbone and the
    # example's head channels (the toy's widths and classes otherwise).
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path, max_iters=2)
    seg, ex = cfg.model.segmentor, example.segmentor
    seg.pretrained = None
    seg.backbone = _no_download(ex.backbone)  # replaces, no merge
    for key in ('in_channels', 'c1_in_channels', 'dilations'):
        seg.decode_head[key] = ex.decode_head[key]
    seg.auxiliary_head.in_channels = ex.auxiliary_head.in_channels
    cfg.model.sgc_head.update(
        in_channels=example.sgc_head.in_channels,
        in_index=example.sgc_head.in_index)
    cfg = Config(cfg.to_dict(), format_python_code=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert 'train/unsup_loss_ce' in runner.message_hub.log_scalars
