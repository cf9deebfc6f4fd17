"""Using a trained model: mmseg's own inference API on our configs, and
the export to a plain mmseg model (tools/model_converters/pseudoseg2mmseg.py)
that stock mmseg loads, tests and serves in a process that cannot import
mmseg_pseudoseg."""
import glob
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg.registry import MODELS

from mmseg_pseudoseg.apis import custom_types, plain_mmseg_config
from .conftest import PSEUDOSEG_TOY, REPO, SUPERVISED_TOY, toy_cfg

# Run by a fresh interpreter that cannot import mmseg_pseudoseg: builds the
# exported model with stock mmseg, predicts an image and tests on the toy
# val set. mmcv-lite lacks mmcv.ops, which mmseg imports at module level:
# a stand-in is installed first (an environment issue, not ours).
STOCK = r'''
import importlib.abc, json, os, sys, types
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'mmseg_pseudoseg':
            raise ImportError('mmseg_pseudoseg is blocked in this test')
sys.meta_path.insert(0, _Block())
import mmcv
if importlib.util.find_spec('mmcv._ext') is None:
    ops = types.ModuleType('mmcv.ops')
    ops.__path__ = [os.path.join(os.path.dirname(mmcv.__file__), 'ops')]
    sys.modules['mmcv.ops'] = mmcv.ops = ops
    from mmcv.ops.point_sample import point_sample
    ops.point_sample = point_sample
    ops.sigmoid_focal_loss = None

    def missing(name):  # what mmseg's optional imports catch
        if name.startswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(f'mmcv.ops.{name}', name='mmcv._ext')
    ops.__getattr__ = missing
import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.apis import inference_model, init_model
cfg_path, ckpt, image, data_root, work_dir, out = sys.argv[1:]
model = init_model(cfg_path, ckpt, device='cpu')
pred = inference_model(model, image).pred_sem_seg.data[0].numpy()
np.save(out + '.npy', pred)
cfg = Config.fromfile(cfg_path)
cfg.load_from, cfg.work_dir = ckpt, work_dir
cfg.test_dataloader.dataset.data_root = data_root
cfg.test_dataloader.num_workers = 0
cfg.test_dataloader.persistent_workers = False
metrics = Runner.from_cfg(cfg).test()
assert not [m for m in sys.modules if m.startswith('mmseg_pseudoseg')]
json.dump(dict(metrics=metrics, classes=list(model.dataset_meta['classes'])),
          open(out + '.json', 'w'))
'''


@pytest.fixture(scope='module')
def toy_checkpoint(tmp_path_factory):
    """A randomly initialised toy PseudoSeg checkpoint, saved by a Runner
    (meta and dataset_meta as a trained one has them)."""
    root = tmp_path_factory.mktemp('toy_ckpt')
    from mmseg_pseudoseg.datasets import make_toy_dataset
    data = make_toy_dataset(str(root / 'toy'), num_train=16, num_val=4,
                            seed=0)
    cfg = toy_cfg(PSEUDOSEG_TOY, data, root / 'work', max_iters=1)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.train_cfg.val_interval = 100
    torch.manual_seed(0)
    Runner.from_cfg(cfg).train()
    image = osp.join(data, 'JPEGImages',
                     open(osp.join(data, 'ImageSets/Segmentation/val.txt'))
                     .readline().strip() + '.jpg')
    return str(root / 'work' / 'iter_1.pth'), image, data


def test_init_model_and_inferencer_on_our_config(toy_checkpoint):
    ckpt, image, _ = toy_checkpoint
    # init_model sets model.pretrained and train_cfg to None.
    model = init_model(PSEUDOSEG_TOY, ckpt, device='cpu')
    assert type(model).__name__ == 'PseudoSeg'
    assert model.dataset_meta['classes'][1] == 'disc'
    # MMSegInferencer drops LoadAnnotations but keeps the label check.
    result = MMSegInferencer(
        model=PSEUDOSEG_TOY, weights=ckpt, device='cpu')(
            image, return_datasamples=True)
    assert result.pred_sem_seg.data.shape[-2:] == (64, 80)


@pytest.mark.parametrize('config', [PSEUDOSEG_TOY, SUPERVISED_TOY],
                         ids=['pseudoseg', 'supervised'])
def test_inference_model_on_our_config(config, toy_checkpoint):
    ckpt, image, _ = toy_checkpoint
    model = init_model(config, ckpt if 'pseudoseg' in config else None,
                       device='cpu')
    assert inference_model(model, image).pred_sem_seg.data.shape[-2:] == \
        (64, 80)


def test_plain_config_has_no_type_of_ours():
    cfg = Config.fromfile(PSEUDOSEG_TOY)
    assert custom_types(cfg._cfg_dict.to_dict())  # ours: PseudoSeg, ...
    plain = plain_mmseg_config(cfg)
    assert custom_types(plain._cfg_dict.to_dict()) == []
    assert 'custom_imports' not in plain and 'custom_hooks' not in plain
    assert 'mmseg_pseudoseg' not in plain.pretty_text
    assert plain.model.type == 'EncoderDecoder'
    assert [t['type'] for t in plain.test_pipeline] == \
        ['LoadImageFromFile', 'LoadAnnotations', 'PackSegInputs']
    cfg.model.test_head = 'sgc_head'
    with pytest.raises(ValueError, match=r'toy\.py: model\.test_head'):
        plain_mmseg_config(cfg, source='toy.py')


def test_export_runs_in_stock_mmseg_with_identical_predictions(
        toy_checkpoint, tmp_path):
    ckpt, image, data = toy_checkpoint
    out = subprocess.run([
        sys.executable, 'tools/model_converters/pseudoseg2mmseg.py',
        PSEUDOSEG_TOY, ckpt,
        str(tmp_path / 'plain')
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    cfg_path = str(tmp_path / 'plain' / 'toy.py')
    plain_ckpt = str(tmp_path / 'plain' / 'iter_1.pth')
    saved = torch.load(plain_ckpt)
    assert sorted(saved) == ['meta', 'state_dict']
    assert not [k for k in saved['state_dict'] if k.startswith(
        ('segmentor.', 'sgc_head.'))]
    assert 'mmseg_pseudoseg' not in open(cfg_path).read()

    result = str(tmp_path / 'stock')
    out = subprocess.run([
        sys.executable, '-c', STOCK, cfg_path, plain_ckpt, image, data,
        str(tmp_path / 'stock_work'), result
    ],
                         cwd=str(tmp_path),
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    stock = json.load(open(result + '.json'))
    assert stock['classes'] == ['background', 'disc', 'square', 'triangle']

    # Our model, same checkpoint, same image and val set.
    ours = MMSegInferencer(
        model=PSEUDOSEG_TOY, weights=ckpt, device='cpu')(
            image, return_datasamples=True)
    pred = ours.pred_sem_seg.data[0].numpy()
    assert np.array_equal(np.load(result + '.npy'), pred)
    cfg = toy_cfg(PSEUDOSEG_TOY, data, tmp_path / 'ours_work')
    cfg.load_from = ckpt
    assert Runner.from_cfg(cfg).test() == pytest.approx(stock['metrics'])


def test_export_names_bad_input(toy_checkpoint, tmp_path):
    ckpt, _, _ = toy_checkpoint
    tool = 'tools/model_converters/pseudoseg2mmseg.py'
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    for args, message in (
        (['nope.py', ckpt], 'config file nope.py does not exist'),
        ([PSEUDOSEG_TOY, str(empty)], f'{empty} is empty'),
    ):
        out = subprocess.run(
            [sys.executable, tool, *args, str(tmp_path / 'out')],
            cwd=REPO,
            capture_output=True,
            text=True)
        assert out.returncode != 0 and message in out.stderr, out.stderr
    # A supervised checkpoint for a PseudoSeg config: no segmentor.* keys.
    model = MODELS.build(Config.fromfile(SUPERVISED_TOY).model)
    plain = tmp_path / 'supervised.pth'
    torch.save(dict(state_dict=model.state_dict()), plain)
    out = subprocess.run(
        [sys.executable, tool, PSEUDOSEG_TOY, str(plain),
         str(tmp_path / 'out')],
        cwd=REPO,
        capture_output=True,
        text=True)
    assert out.returncode != 0 and 'no "segmentor.*" weights' in \
        out.stderr, out.stderr[-2000:]


SHIPPED = sorted(
    p for m in ('pseudoseg', 'supervised', 'unimatch', 'fixmatch')
    for p in glob.glob(osp.join(REPO, f'configs/{m}/*.py')))


@pytest.mark.parametrize('path', SHIPPED, ids=lambda p: osp.relpath(p, REPO))
def test_every_shipped_config_serves_mmseg_inference(path, toy_checkpoint):
    # What init_model / inference_model / MMSegInferencer need of a config,
    # without building each R-101: a top-level test_pipeline that runs on
    # an image without a label (they drop LoadAnnotations), and a model
    # config that takes init_model's pretrained=None and train_cfg=None.
    from mmcv.transforms import Compose
    _, image, _ = toy_checkpoint
    cfg = Config.fromfile(path)
    steps = [t for t in cfg.test_pipeline if t.type != 'LoadAnnotations']
    out = Compose(steps)(dict(img_path=image))
    assert out['inputs'].shape[-2:] == (64, 80)
    model = cfg.model
    from mmseg_pseudoseg.apis.plain_mmseg import _class_of
    from mmseg_pseudoseg.models.segmentors.semi_base import \
        SemiBaseSegmentor
    cls = _class_of(model.type)
    if issubclass(cls, SemiBaseSegmentor):
        import inspect
        params = inspect.signature(cls).parameters
        assert 'pretrained' in params and 'train_cfg' in params


def test_unimatch_exports_its_wrapped_segmentor():
    # Any SemiBaseSegmentor subclass exports as PseudoSeg does: the config
    # becomes the wrapped EncoderDecoder, the weights lose "segmentor.",
    # and the stock model predicts what the trained one predicts.
    from mmseg_pseudoseg.apis import plain_mmseg_checkpoint
    cfg = Config.fromfile(osp.join(REPO, 'configs/unimatch/toy.py'))
    model = MODELS.build(cfg.model).eval()
    plain = plain_mmseg_config(cfg, source='unimatch/toy.py')
    assert plain.model.type == 'EncoderDecoder'
    assert custom_types(plain._cfg_dict.to_dict()) == []
    ckpt = plain_mmseg_checkpoint(
        dict(state_dict=model.state_dict()), cfg.model.type)
    assert ckpt['state_dict'] and not any(
        k.startswith('segmentor.') for k in ckpt['state_dict'])
    stock = MODELS.build(plain.model).eval()
    stock.load_state_dict(ckpt['state_dict'], strict=True)
    image = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        inputs = stock.data_preprocessor(dict(inputs=[image[0]]))['inputs']
        ours = model.predict(inputs)
        theirs = stock.predict(inputs)
    assert torch.equal(ours[0].pred_sem_seg.data, theirs[0].pred_sem_seg.data)
    with pytest.raises(KeyError, match='not a UniMatch checkpoint'):
        plain_mmseg_checkpoint(dict(state_dict={'x': torch.zeros(1)}),
                               'UniMatch')
