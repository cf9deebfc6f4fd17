import numpy as np
import pytest
import torch

from mmseg.registry import TRANSFORMS
from mmseg_pseudoseg.datasets.transforms import (PackWeakStrongSegInputs,
                                                 RandAugmentColor, StrongView,
                                                 ValidateSegMap)


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


@pytest.mark.parametrize('op', RandAugmentColor.OPS)
def test_every_color_op_keeps_shape_and_dtype(op):
    np.random.seed(0)
    out = RandAugmentColor(num_ops=1, max_magnitude=0.9, ops=[op])(_results())
    assert out['img'].shape == (16, 24, 3) and out['img'].dtype == np.uint8


def test_rand_augment_changes_pixels_and_validates():
    np.random.seed(0)
    before = _results()['img']
    ops = [o for o in RandAugmentColor.OPS if o != 'identity']
    out = RandAugmentColor(num_ops=2, ops=ops)(_results())
    assert not np.array_equal(out['img'], before)
    with pytest.raises(ValueError, match='unknown'):
        RandAugmentColor(ops=['rotate'])
    with pytest.raises(ValueError, match='max_magnitude'):
        RandAugmentColor(max_magnitude=2.0)


def test_strong_view_keeps_weak_view_and_geometry():
    np.random.seed(0)
    results = _results()
    weak = results['img'].copy()
    view = StrongView(transforms=[
        dict(type='RandAugmentColor', num_ops=2, ops=['solarize', 'color']),
        dict(
            type='RandomCutOut',
            prob=1.0,
            n_holes=1,
            cutout_shape=(4, 4),
            fill_in=(0, 0, 0)),
    ])
    out = view(results)
    assert np.array_equal(out['img'], weak)  # weak view untouched
    assert out['img_strong'].shape == weak.shape
    assert not np.array_equal(out['img_strong'], weak)


def test_strong_view_rejects_geometric_transforms():
    view = StrongView(transforms=[dict(type='Resize', scale=(8, 8))])
    with pytest.raises(ValueError, match='img.jpg'):
        view(_results())


def test_pack_weak_strong():
    results = _results()
    results['img_strong'] = 255 - results['img']
    out = PackWeakStrongSegInputs()(results)
    assert set(out['inputs']) == {'weak', 'strong'}
    weak, strong = out['inputs']['weak'], out['inputs']['strong']
    assert weak.shape == strong.shape == (3, 16, 24)
    assert torch.equal(strong, 255 - weak)
    samples = out['data_samples']
    assert samples['weak'].metainfo['img_shape'] == \
        samples['strong'].metainfo['img_shape']
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
    small = _results()
    small['gt_seg_map'] = small['gt_seg_map'][:8]
    with pytest.raises(ValueError, match=r'label\.png is 8x24.*img\.jpg'):
        check(small)


def test_transforms_are_registered():
    for name in ('RandAugmentColor', 'StrongView', 'PackWeakStrongSegInputs',
                 'ValidateSegMap'):
        assert TRANSFORMS.get(name) is not None
