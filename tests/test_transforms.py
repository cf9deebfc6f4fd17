import numpy as np
import pytest
import torch

from mmseg.registry import TRANSFORMS
import mmcv
from mmseg_pseudoseg.datasets.transforms import (ColorJitter, CutOut,
                                                 ImageLabelsFromSegMap,
                                                 PackWeakStrongSegInputs,
                                                 SameGeometry, StrongView,
                                                 ValidateSegMap)
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
    # min(1.3, 1) - 0.5 = 0.5 -> 127.5 (float, not rounded, as the
    # release); without the clip it would stay 204.
    monkeypatch.setattr(jitter, '_sample', lambda: [('brightness', 0.5),
                                                    ('brightness', -0.5)])
    out = jitter(dict(img=np.full((2, 2, 3), 204, np.uint8)))['img']
    assert out.dtype == np.float32 and out == pytest.approx(127.5)
    # The option of the earlier behaviour rounds back to uint8.
    old = ColorJitter(to_uint8=True)
    monkeypatch.setattr(old, '_sample', jitter._sample)
    out = old(dict(img=np.full((2, 2, 3), 204, np.uint8)))['img']
    assert out.dtype == np.uint8 and (out == 128).all()


def test_color_jitter_identity_and_validation():
    np.random.seed(0)
    img = _results()['img']
    same = ColorJitter(0, 0, 0, 0)(dict(img=img.copy()))['img']
    assert np.abs(same - img).max() < 1e-3  # HSV round trip, float
    changed = ColorJitter()(dict(img=img.copy()))['img']
    assert changed.shape == img.shape and changed.dtype == np.float32
    assert not np.allclose(changed, img)
    # Not rounded: the jittered image keeps fractions of a grey level.
    assert np.abs(changed - np.round(changed)).max() > 0.01
    # A float image on the 0-255 scale is taken as it is.
    again = ColorJitter(0, 0, 0, 0)(dict(img=img.astype(np.float32)))['img']
    assert np.abs(again - img).max() < 1e-3
    with pytest.raises(ValueError, match='hue'):
        ColorJitter(hue=0.6)
    with pytest.raises(ValueError, match=r'uint8 or float.*x\.jpg'):
        ColorJitter()(dict(img=img.astype(np.int32), img_path='x.jpg'))


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


def test_cutout_fills_a_float_image_with_the_exact_mean(monkeypatch):
    cut = CutOut(size=4)
    monkeypatch.setattr(cut, '_centre', lambda h, w: (5, 10))
    results = dict(img=np.zeros((16, 24, 3), np.float32))
    out = cut(results)['img']
    assert out.dtype == np.float32
    assert out[3:7, 8:12].reshape(-1, 3).tolist() == [
        pytest.approx([103.53, 116.28, 123.675])
    ] * 16


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


def test_same_geometry_crops_and_flips_both_views_alike():
    crop_flip = [
        dict(type='RandomCrop', crop_size=(8, 8)),
        dict(type='RandomFlip', prob=0.5),
    ]
    geometry = SameGeometry(transforms=crop_flip)
    flips = set()
    for seed in range(12):
        np.random.seed(seed)
        results = _results(seed=seed)
        labels = results['gt_seg_map'].copy()
        # A strong view that differs from the weak one by a constant.
        results['img_strong'] = results['img'].astype(np.float32) + 0.25
        out = geometry(results)
        assert out['img'].shape[:2] == out['img_strong'].shape[:2] == (8, 8)
        assert out['img_strong'].dtype == np.float32
        assert np.array_equal(out['img_strong'], out['img'] + 0.25)
        # Labels and meta go through the transforms once, as without it.
        assert out['gt_seg_map'].shape == (8, 8)
        assert out['img_shape'] == (8, 8)
        flips.add(out['flip'])
        # The label crop is the image crop: find it in the original.
        img = _results(seed=seed)['img']
        img = img[:, ::-1] if out['flip'] else img
        lab = labels[:, ::-1] if out['flip'] else labels
        hits = [(y, x) for y in range(16 - 7) for x in range(24 - 7)
                if np.array_equal(img[y:y + 8, x:x + 8], out['img'])]
        assert any(
            np.array_equal(lab[y:y + 8, x:x + 8], out['gt_seg_map'])
            for y, x in hits)
    assert flips == {True, False}
    with pytest.raises(KeyError, match='StrongView'):
        SameGeometry(transforms=crop_flip)(_results())
    with pytest.raises(ValueError, match='cat_max_ratio'):
        SameGeometry(transforms=[
            dict(type='RandomCrop', crop_size=(8, 8), cat_max_ratio=0.75)
        ])


def test_contrast_mean_is_the_whole_scaled_image(monkeypatch):
    # The release jitters the whole scaled image before the crop, so the
    # contrast op's mean is that of the whole image, not of the crop. A
    # dark left half, a bright right half; the crop is in the dark half.
    img = np.zeros((8, 16, 3), np.uint8)
    img[:, :8] = 40
    img[:, 8:] = 200
    results = dict(img=img, img_path='img.jpg', img_shape=(8, 16),
                   seg_fields=[])
    pipeline = [
        StrongView(transforms=[dict(type='ColorJitter')]),
        SameGeometry(transforms=[dict(type='RandomCrop', crop_size=(8, 8))]),
    ]
    monkeypatch.setattr(
        pipeline[0].transforms.transforms[0], '_sample',
        lambda: [('contrast', 1.5)])
    monkeypatch.setattr(
        pipeline[1].transforms.transforms[0], 'crop_bbox',
        lambda results: (0, 8, 0, 8))
    for t in pipeline:
        results = t(results)
    # Whole-image mean 120/255: (40 - 120) * 1.5 + 120 = 0.
    assert results['img_strong'] == pytest.approx(0.0, abs=1e-3)
    assert (results['img'] == 40).all()  # weak view untouched
    # Jittered after the crop, as before, the crop's own mean (40) would
    # leave it at 40.
    crop_first = ColorJitter()
    monkeypatch.setattr(crop_first, '_sample', lambda: [('contrast', 1.5)])
    assert crop_first(dict(img=img[:, :8].copy()))['img'] == \
        pytest.approx(40.0, abs=1e-3)


def test_strong_view_from_the_strong_image():
    results = _results()
    results['img_strong'] = np.full((16, 24, 3), 7.5, np.float32)
    view = StrongView(
        transforms=[dict(type='CutOut', size=4)], from_key='img_strong')
    np.random.seed(0)
    out = view(results)
    y1, x1, y2, x2 = out['cutout_box']
    inside = np.zeros((16, 24), bool)
    inside[y1:y2, x1:x2] = True
    assert (out['img_strong'][~inside] == 7.5).all()
    assert np.array_equal(out['img'], _results()['img'])
    with pytest.raises(KeyError, match="from_key='img'"):
        view(_results())
    with pytest.raises(ValueError, match='from_key'):
        StrongView(transforms=[], from_key='gt_seg_map')


def test_image_labels_from_the_augmented_crop():
    seg = np.zeros((6, 8), np.uint8)
    seg[0, 0] = 3  # outside the box: counts
    seg[2:4, 2:4] = 5  # only inside the CutOut box: does not count
    seg[5, 7] = 255  # ignored
    seg[5, 6] = 2
    results = dict(gt_seg_map=seg, cutout_box=(1, 1, 5, 5),
                   seg_fields=['gt_seg_map'], img_path='a.jpg')
    out = ImageLabelsFromSegMap(num_classes=6)(results)
    assert out['gt_image_labels'].tolist() == [0, 1, 1, 0, 0]
    assert 'gt_seg_map' not in out and out['seg_fields'] == []
    # Without a box every class left in the crop counts; the map may stay.
    out = ImageLabelsFromSegMap(num_classes=6, keep_seg_map=True)(
        dict(gt_seg_map=seg.copy(), seg_fields=['gt_seg_map']))
    assert out['gt_image_labels'].tolist() == [0, 1, 1, 0, 1]
    assert 'gt_seg_map' in out
    with pytest.raises(KeyError, match='a.jpg.*LoadAnnotations'):
        ImageLabelsFromSegMap(num_classes=6)(dict(img_path='a.jpg'))
    with pytest.raises(ValueError, match=r'\[5\]'):
        ImageLabelsFromSegMap(num_classes=4)(dict(gt_seg_map=seg.copy()))


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
    for name in ('ColorJitter', 'CutOut', 'StrongView', 'SameGeometry',
                 'ImageLabelsFromSegMap', 'PackWeakStrongSegInputs',
                 'ValidateSegMap'):
        assert TRANSFORMS.get(name) is not None
