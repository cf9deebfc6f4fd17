"""Strong (photometric) augmentation and the weak/strong view split."""
import copy
from typing import List, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS


def _blend(img: np.ndarray, other: np.ndarray, factor: float) -> np.ndarray:
    """PIL-style ImageEnhance blend: factor 0 gives ``other``, 1 ``img``."""
    out = other.astype(np.float32) + factor * (
        img.astype(np.float32) - other.astype(np.float32))
    return np.clip(out, 0, 255).astype(np.uint8)


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None].repeat(3, -1)


def _autocontrast(img, m):
    lo = img.min(axis=(0, 1), keepdims=True).astype(np.float32)
    hi = img.max(axis=(0, 1), keepdims=True).astype(np.float32)
    scale = 255.0 / np.maximum(hi - lo, 1.0)
    return np.clip((img - lo) * scale, 0, 255).astype(np.uint8)


def _equalize(img, m):
    return np.stack([cv2.equalizeHist(np.ascontiguousarray(img[..., c]))
                     for c in range(3)], axis=-1)


def _brightness(img, m):
    return _blend(img, np.zeros_like(img), 1 + m * np.random.choice([-1, 1]))


def _color(img, m):
    return _blend(img, _gray(img), 1 + m * np.random.choice([-1, 1]))


def _contrast(img, m):
    mean = np.full_like(img, int(_gray(img)[..., 0].mean() + 0.5))
    return _blend(img, mean, 1 + m * np.random.choice([-1, 1]))


def _sharpness(img, m):
    smooth = cv2.blur(img, (3, 3))
    return _blend(img, smooth, 1 + m * np.random.choice([-1, 1]))


def _posterize(img, m):
    bits = int(round(8 - 4 * m))  # 8 bits (identity) .. 4 bits
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return img & mask


def _solarize(img, m):
    threshold = 256 - int(round(256 * m))
    return np.where(img >= threshold, 255 - img, img).astype(np.uint8)


# Colour-only operations: none of them moves a pixel, so the strong view
# keeps the weak view's geometry and the pseudo labels stay aligned.
_COLOR_OPS = dict(
    identity=lambda img, m: img,
    autocontrast=_autocontrast,
    equalize=_equalize,
    brightness=_brightness,
    color=_color,
    contrast=_contrast,
    sharpness=_sharpness,
    posterize=_posterize,
    solarize=_solarize)


@TRANSFORMS.register_module()
class RandAugmentColor(BaseTransform):
    """RandAugment restricted to colour operations, for the strong view.

    Applies ``num_ops`` operations drawn uniformly from ``ops``, each with a
    magnitude drawn uniformly from ``[0, max_magnitude]`` (random magnitude,
    as in the paper's strong augmentation). Works on uint8 BGR ``img``.

    Required Keys: img. Modified Keys: img.

    Args:
        num_ops (int): Operations per image. Defaults to 3.
        max_magnitude (float): Upper bound of the magnitude in [0, 1].
            Defaults to 0.9.
        ops (Sequence[str]): Names from ``RandAugmentColor.OPS``.
            Defaults to all of them.
    """
    OPS = tuple(_COLOR_OPS)

    def __init__(self,
                 num_ops: int = 3,
                 max_magnitude: float = 0.9,
                 ops: Sequence[str] = OPS) -> None:
        unknown = sorted(set(ops) - set(_COLOR_OPS))
        if unknown:
            raise ValueError(f'RandAugmentColor.ops: unknown {unknown}; '
                             f'choose from {list(_COLOR_OPS)}')
        if num_ops < 0 or not ops:
            raise ValueError('RandAugmentColor needs num_ops >= 0 and a '
                             'non-empty ops list')
        if not 0.0 <= max_magnitude <= 1.0:
            raise ValueError('RandAugmentColor.max_magnitude must be in '
                             f'[0, 1], got {max_magnitude}')
        self.num_ops = num_ops
        self.max_magnitude = max_magnitude
        self.ops = tuple(ops)

    @cache_randomness
    def _sample(self) -> List[tuple]:
        names = np.random.choice(self.ops, self.num_ops)
        mags = np.random.uniform(0, self.max_magnitude, self.num_ops)
        return list(zip(names, mags))

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                'RandAugmentColor needs a uint8 HxWx3 image, got '
                f'{img.dtype} {img.shape} from {results.get("img_path")}')
        for name, magnitude in self._sample():
            img = _COLOR_OPS[name](img, float(magnitude))
        results['img'] = np.ascontiguousarray(img)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_ops={self.num_ops}, '
                f'max_magnitude={self.max_magnitude}, ops={self.ops})')


@TRANSFORMS.register_module()
class StrongView(BaseTransform):
    """Make ``img_strong``: the current image through extra transforms.

    Put it after the geometric (weak) transforms of the unlabeled pipeline.
    The sub-pipeline runs on a copy, so ``img`` stays the weak view, and it
    must not change the image size: the two views share their geometry and
    the weak view's pseudo labels supervise the strong view pixel by pixel.

    Required Keys: img. Added Keys: img_strong.

    Args:
        transforms (list[dict]): Photometric transforms (e.g.
            ``RandAugmentColor``, ``RandomCutOut``).
    """

    def __init__(self, transforms: List[dict]) -> None:
        self.transforms = Compose(transforms)

    def transform(self, results: dict) -> dict:
        strong = copy.copy(results)
        strong['img'] = results['img'].copy()
        if 'gt_seg_map' in results:
            strong['gt_seg_map'] = results['gt_seg_map'].copy()
        strong = self.transforms(strong)
        if strong is None:
            raise ValueError('StrongView: a strong transform dropped '
                             f'{results.get("img_path")}')
        if strong['img'].shape != results['img'].shape:
            raise ValueError(
                'StrongView transforms must keep the geometry, but '
                f'{results.get("img_path")} went from '
                f'{results["img"].shape} to {strong["img"].shape}')
        results['img_strong'] = strong['img']
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(transforms={self.transforms})'
