import numpy as np
import pytest
import torch

from mmseg.registry import TRANSFORMS
import mmcv
from mmseg_pseudoseg.datasets.transforms import (ColorJitter, CutOut,
                                                 PackWeakStrongSegInputs,
                                                 StrongView, ValidateSegMap)
from mmseg_pseudoseg.datasets.transforms.strong_augment import (
    adjust_brightness_additive, adjust_contrast_channel_mean,
    adjust_hue_shift, adjust_saturation_hsv)


def _results(h=16, w=24, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        gt_seg_map=rng.integers(0, 4, (h, w)).astype(np.uint8),
        img_path='img.jpg',
        seg_map_path='label.png',
        ori_shape=(h, w),
        img_shape=(h, w),
        seg_fields=['gt_seg_map'])


def test_jitter_ops_hand_computed():
    px = np.array([[[0.2, 0.4, 0.8]]], np.float32)  # one BGR pixel
    assert adjust_brightness_additive(px, 0.25)[0, 0].tolist() == \
        pytest.approx([0.45, 0.65, 1.05])  # clipping is ColorJitter's job
    # Contrast per channel: values [0.2, 0.6], mean 0.4, factor 1.5 ->
    # (x - 0.4) * 1.5 + 0.4 = [0.1, 0.7]; each channel keeps its own mean.
    two = np.array([[[0.2, 0.5, 0.0], [0.6, 0.5, 1.0]]], np.float32)
    out = adjust_contrast_channel_mean(two, 1.5)
    assert out[0, :, 0].tolist() == pytest.approx([0.1, 0.7])
    assert out[0, :, 1].tolist() == pytest.approx([0.5, 0.5])
    assert out[0, :, 2].tolist() == pytest.approx([-0.25, 1.25])
    # Saturation: RGB (0.8, 0.4, 0.2) has V = 0.8, S = 0.75; S * 0.5 =
    # 0.375 -> min = 0.8 * 0.625 = 0.5, the middle channel keeps its hue
    # ratio (0.4 - 0.2) / (0.8 - 0.2) = 1/3 -> 0.5 + 0.3 / 3 = 0.6.
    assert adjust_saturation_hsv(px, 0.5)[0, 0].tolist() == pytest.approx(
        [0.5, 0.6, 0.8], abs=1e-5)
    # Hue: a third of a turn takes red to green, minus a third to blue.
    red = np.array([[[0.0, 0.0, 1.0]]], np.float32)
    assert adjust_hue_shift(red, 1 / 3)[0, 0].tolist() == pytest.approx(
        [0, 1, 0], abs=1e-5)
    assert adjust_hue_shift(red, -1 / 3)[0, 0].tolist() == pytest.approx(
        [1, 0, 0], abs=1e-5)


def test_hue_shift_agrees_with_mmcv_adjust_hue():
    # mmcv.adjust_hue means the same rotation but quantises hue to uint8
    # (a quarter turn is 64 of its 256 steps); the results agree to that
    # rounding.
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    for steps in (64, -64):
        theirs = mmcv.adjust_hue(img, steps / 255).astype(int)
        ours = adjust_hue_shift(img.astype(np.float32) / 255, steps / 256)
        ours = np.round(np.clip(ours, 0, 1) * 255).astype(int)
        diff = np.abs(theirs - ours)
        assert diff.mean() < 1.0 and diff.max() <= 8


def test_color_jitter_samples_all_ops_in_random_order():
    jitter = ColorJitter()
    np.random.seed(0)
    orders = set()
    for _ in range(20):
        ops = jitter._sample()
        assert sorted(name for name, _ in ops) == [
            'brightness', 'contrast', 'hue', 'saturation'
        ]
        params = dict(ops)
        assert -0.5 <= params['brightness'] <= 0.5
        assert 0.5 <= params['contrast'] <= 1.5
        assert 0.5 <= params['saturation'] <= 1.5
        assert -0.25 <= params['hue'] <= 0.25
        orders.add(tuple(name for name, _ in ops))
    assert len(orders) > 5


def test_color_jitter_clips_after_each_op(monkeypatch):
    jitter = ColorJitter()
    # +0.5 then -0.5 on a 0.8 pixel: clipped after the first op it is
    # min(1.3, 1) - 0.5 = 0.5 -> 128; without the clip it would stay 204.
    monkeypatch.setattr(jitter, '_sample', lambda: [('brightness', 0.5),
                                                    ('brightness', -0.5)])
    out = jitter(dict(img=np.full((2, 2, 3), 204, np.uint8)))['img']
    assert (out == 128).all()


def test_color_jitter_identity_and_validation():
    np.random.seed(0)
    img = _results()['img']
    same = ColorJitter(0, 0, 0, 0)(dict(img=img.copy()))['img']
    assert np.abs(same.astype(int) - img).max() <= 1  # HSV round trip
    changed = ColorJitter()(dict(img=img.copy()))['img']
    assert changed.shape == img.shape and changed.dtype == np.uint8
    assert not np.array_equal(changed, img)
    with pytest.raises(ValueError, match='hue'):
        ColorJitter(hue=0.6)
    with pytest.raises(ValueError, match='uint8'):
        ColorJitter()(dict(img=img.astype(np.float32), img_path='x.jpg'))


def test_cutout_fills_the_mean_pixel_and_records_the_box(monkeypatch):
    cut = CutOut(size=4)
    monkeypatch.setattr(cut, '_centre', lambda h, w: (5, 10))
    results = _results()
    before = results['img'].copy()
    out = cut(results)
    assert out['cutout_box'] == (3, 8, 7, 12)
    assert (out['img'][3:7, 8:12] == [104, 116, 124]).all()  # BGR mean
    outside = np.ones((16, 24), bool)
    outside[3:7, 8:12] = False
    assert np.array_equal(out['img'][outside], before[outside])
    # Clipped at the border: centre (0, 0) keeps only the 2x2 corner.
    monkeypatch.setattr(cut, '_centre', lambda h, w: (0, 0))
    assert cut(_results())['cutout_box'] == (0, 0, 2, 2)
    with pytest.raises(ValueError, match='size'):
        CutOut(size=0)


def test_cutout_centre_is_uniform_over_the_padded_canvas():
    np.random.seed(0)
    cut = CutOut(size=2, pad_to=(64, 64))
    boxes = [cut(dict(img=np.zeros((8, 8, 3), np.uint8)))['cutout_box']
             for _ in range(100)]
    empty = [b for b in boxes if b[2] <= b[0] or b[3] <= b[1]]
    # An 8x8 image in a 64x64 canvas: most centres fall in the padding.
    assert 70 < len(empty) < 100
    assert all(0 <= y1 <= y2 <= 8 and 0 <= x1 <= x2 <= 8
               for y1, x1, y2, x2 in boxes)


def test_strong_view_keeps_weak_view_and_geometry():
    np.random.seed(0)
    results = _results()
    weak = results['img'].copy()
    view = StrongView(transforms=[
        dict(type='ColorJitter'),
        dict(type='CutOut', size=4, pad_to=(16, 24)),
    ])
    out = view(results)
    assert np.array_equal(out['img'], weak)  # weak view untouched
    assert out['img_strong'].shape == weak.shape
    assert not np.array_equal(out['img_strong'], weak)
    assert len(out['cutout_box']) == 4  # copied from the strong branch


def test_strong_view_rejects_geometric_transforms():
    view = StrongView(transforms=[dict(type='Resize', scale=(8, 8))])
    with pytest.raises(ValueError, match='img.jpg'):
        view(_results())


def test_pack_weak_strong():
    results = _results()
    results['img_strong'] = 255 - results['img']
    results['cutout_box'] = (1, 2, 3, 4)
    results['gt_image_labels'] = np.array([0, 1, 1], np.float32)
    out = PackWeakStrongSegInputs()(results)
    assert set(out['inputs']) == {'weak', 'strong'}
    weak, strong = out['inputs']['weak'], out['inputs']['strong']
    assert weak.shape == strong.shape == (3, 16, 24)
    assert torch.equal(strong, 255 - weak)
    samples = out['data_samples']
    assert samples['weak'].metainfo['img_shape'] == \
        samples['strong'].metainfo['img_shape']
    assert samples['strong'].metainfo['cutout_box'] == (1, 2, 3, 4)
    assert 'cutout_box' not in samples['weak'].metainfo
    for sample in samples.values():
        assert sample.gt_image_labels.tolist() == [0, 1, 1]
    with pytest.raises(KeyError, match='StrongView'):
        PackWeakStrongSegInputs()(_results())


def test_validate_seg_map_errors_name_the_file():
    check = ValidateSegMap(num_classes=4)
    assert check(_results()) is not None
    bad = _results()
    bad['gt_seg_map'][0, 0] = 7
    with pytest.raises(ValueError, match=r'label\.png.*\[7\].*num_classes'):
        check(bad)
    ignore = _results()
    ignore['gt_seg_map'][0, 0] = 255
    assert check(ignore) is not None
    # A test pipeline that resizes the image before loading its label is
    # fine: the label is compared with the loaded image (ori_shape).
    resized = _results()
    resized['img'] = np.zeros((32, 48, 3), np.uint8)
    assert check(resized) is not None
    small = _results()
    small['gt_seg_map'] = small['gt_seg_map'][:8]
    with pytest.raises(ValueError, match=r'label\.png is 8x24.*img\.jpg'):
        check(small)
    # Inference (mmseg's inference_model, MMSegInferencer): no label loaded,
    # nothing to check.
    unlabeled = _results()
    del unlabeled['gt_seg_map']
    assert check(unlabeled) is unlabeled


def test_transforms_are_registered():
    for name in ('ColorJitter', 'CutOut', 'StrongView',
                 'PackWeakStrongSegInputs', 'ValidateSegMap'):
        assert TRANSFORMS.get(name) is not None
