"""Pictures of pseudo labels: the drawing functions, the training hook (files
through the runner's visualizer, panels at the image's size, training
untouched) and tools/visualize_pseudo_labels.py."""
import glob
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmseg_pseudoseg.engine.hooks import PseudoLabelVisualizationHook
from mmseg_pseudoseg.visualization import (colorize, denormalize, draw_box,
                                           overview)
from .conftest import PSEUDOSEG_TOY, REPO, toy_cfg

PANELS = ('weak', 'decoder', 'gradcam', 'sgc', 'pseudo_label', 'confidence',
          'strong', 'gt')


def test_denormalize_inverts_the_preprocessor():
    bgr = np.random.RandomState(0).randint(0, 256, (5, 7, 3), np.uint8)
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    rgb = torch.from_numpy(bgr[..., ::-1].copy()).permute(2, 0, 1).float()
    back = denormalize((rgb - mean) / std, mean, std, input_is_rgb=True)
    assert np.array_equal(back, bgr[..., ::-1])
    # Without channel conversion the input stays BGR: flipped for display.
    raw = torch.from_numpy(bgr).permute(2, 0, 1).float()
    assert np.array_equal(denormalize(raw, None, None, False), bgr[..., ::-1])


def test_colorize_box_and_overview():
    labels = np.array([[0, 1], [2, 255]])
    colours = colorize(labels, [[10, 20, 30], [40, 50, 60], [70, 80, 90]])
    assert colours[0, 1].tolist() == [40, 50, 60]
    assert colours[1, 1].tolist() == [255, 255, 255]  # ignored: white
    image = np.zeros((6, 6, 3), np.uint8)
    boxed = draw_box(image, (1, 2, 4, 5))  # y1, x1, y2, x2, end exclusive
    assert boxed[1, 2:5].any() and boxed[3, 2:5].any() and \
        not boxed[2, 3].any() and not boxed[0].any()
    assert np.array_equal(draw_box(image, (3, 3, 3, 5)), image)  # empty
    panels = dict(
        a=np.zeros((4, 5, 3), np.uint8), b=np.zeros((4, 6, 3), np.uint8))
    canvas = overview(panels, title_height=10, gap=2)
    assert canvas.shape == (14, 13, 3)


class _WeakShapes(Hook):
    """Records the weak views' sizes of each drawn iteration."""
    priority = 'LOW'

    def __init__(self):
        self.shapes = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.shapes[runner.iter + 1] = [
            s.img_shape for s in data_batch['data_samples']['weak']
        ]


def _run(toy_root, work_dir, hooks):
    cfg = toy_cfg(PSEUDOSEG_TOY, toy_root, work_dir, max_iters=2)
    cfg.custom_hooks = [dict(type='PseudoLabelFusionHook')] + hooks
    # mmseg names its visualizer 'visualizer', and mmengine hands a later
    # runner of the same process the first one's (with its save dir).
    cfg.visualizer.name = f'visualizer_{osp.basename(work_dir)}_{id(cfg)}'
    cfg = Config(cfg.to_dict(), format_python_code=False)
    runner = Runner.from_cfg(cfg)
    shapes = _WeakShapes()
    runner.register_hook(shapes)
    runner.train()
    return runner, shapes.shapes


def test_hook_writes_panels_and_leaves_training_alone(toy_root, tmp_path):
    hook = dict(
        type='PseudoLabelVisualizationHook',
        interval=2,
        max_images=2,
        save_panels=True)
    runner, shapes = _run(toy_root, tmp_path / 'vis', [hook])
    folder, = glob.glob(str(tmp_path / 'vis/*/vis_data/vis_image'))
    drawn = sorted(glob.glob(osp.join(folder, 'pseudo_label_*_2.png')))
    stems = sorted({
        osp.basename(p)[len('pseudo_label_'):].split('_2.png')[0].rsplit(
            '_' + panel, 1)[0]
        for p in drawn for panel in PANELS if p.endswith(f'_{panel}_2.png')
    })
    assert len(stems) == 2  # max_images unlabeled images of iteration 2
    assert len(drawn) == 2 * (1 + len(PANELS))  # overview + panels each
    assert not glob.glob(osp.join(folder, 'pseudo_label_*_1.png'))
    sizes = {tuple(s[:2]) for s in shapes[2][:2]}
    for stem in stems:
        panel_shapes = {
            cv2.imread(osp.join(folder, f'pseudo_label_{stem}_{p}_2.png'))
            .shape[:2]
            for p in PANELS
        }
        assert len(panel_shapes) == 1 and panel_shapes <= sizes
        whole = cv2.imread(osp.join(folder, f'pseudo_label_{stem}_2.png'))
        width = panel_shapes.pop()[1]
        assert whole.shape[1] == len(PANELS) * width + 2 * (len(PANELS) - 1)
    # The pictures cost a forward pass but change nothing in training:
    # same seed without the hook, same weights to the bit.
    plain, _ = _run(toy_root, tmp_path / 'plain', [])
    for (name, a), b in zip(runner.model.state_dict().items(),
                            plain.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_hook_arguments_and_model_api(toy_root, tmp_path):
    with pytest.raises(ValueError, match='interval'):
        PseudoLabelVisualizationHook(interval=0)
    with pytest.raises(ValueError, match='max_images'):
        PseudoLabelVisualizationHook(max_images=0)
    cfg = toy_cfg(
        osp.join(REPO, 'configs/supervised/toy.py'),
        toy_root,
        tmp_path,
        max_iters=1)
    cfg.custom_hooks = [dict(type='PseudoLabelVisualizationHook')]
    runner = Runner.from_cfg(Config(cfg.to_dict(), format_python_code=False))
    with pytest.raises(TypeError, match='pseudo_label_maps.*EncoderDecoder'):
        runner.train()


def test_visualize_tool_draws_a_checkpoint(toy_root, tmp_path):
    from mmseg.registry import MODELS
    model = MODELS.build(Config.fromfile(PSEUDOSEG_TOY).model)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    images = [
        osp.join(toy_root, 'JPEGImages', f'val_000{i}.jpg') for i in (0, 1)
    ]
    labels = [
        p.replace('JPEGImages', 'SegmentationClass').replace('.jpg', '.png')
        for p in images
    ]
    out = tmp_path / 'pictures'
    # The command of docs/en/user_guides/7_visualization.md, on the test's
    # data.
    result = subprocess.run(
        [
            sys.executable, 'tools/visualize_pseudo_labels.py',
            PSEUDOSEG_TOY, checkpoint, '--images', *images, '--seg-maps',
            *labels, '--out-dir',
            str(out)
        ],
        cwd=REPO,
        capture_output=True,
        text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    for image in images:
        stem = osp.splitext(osp.basename(image))[0]
        size = cv2.imread(image).shape
        for panel in PANELS:
            drawn = cv2.imread(str(out / f'{stem}_{panel}.png'))
            assert drawn is not None and drawn.shape == size, panel
        assert cv2.imread(str(out / f'{stem}.png')) is not None
