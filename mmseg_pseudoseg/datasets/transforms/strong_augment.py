"""The strong view of PseudoSeg: colour jitter and CutOut, same geometry.

The release's strong augmentation (spec Sec. 6 and 10) is TensorFlow's
colour ops on [0, 1] float images, in random order, clipped after each op,
applied to the WHOLE scaled image before it is padded and cropped (so the
contrast op's mean is that of the whole scaled image), then, after the crop,
one CutOut square that the consistency loss skips; the image stays float
until normalisation. mmcv's ``adjust_brightness``, ``adjust_contrast`` and
``adjust_color`` implement PIL's blends (multiplicative brightness,
contrast around the grey-level mean, colour blended with greyscale), which
differ from those ops, so they are written here on float images.
``mmcv.adjust_hue`` means the same as the hue op but works on uint8
(rounding between ops, 1/256-turn steps, and a negative shift cast to
uint8); the float version here agrees with it to that rounding (tested).

The pipeline of the unlabeled stream, as the release orders it::

    LoadImageFromFile, <scale>,
    StrongView([ColorJitter]),                  # whole scaled image, float
    SameGeometry([RandomCrop, RandomFlip]),     # img and img_strong alike
    StrongView([CutOut], from_key='img_strong'),
    PackWeakStrongSegInputs
"""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.utils import cache_random_params, cache_randomness
from mmseg.registry import TRANSFORMS

# ImageNet mean pixel in BGR order (mmcv loads BGR): what mmseg's
# SegDataPreProcessor normalises to 0, as the release's mean-pixel fill.
MEAN_BGR = (103.53, 116.28, 123.675)


def adjust_brightness_additive(img: np.ndarray, delta: float) -> np.ndarray:
    """``img + delta`` on a float image in [0, 1] (TF's brightness op)."""
    return img + delta


def adjust_contrast_channel_mean(img: np.ndarray,
                                 factor: float) -> np.ndarray:
    """``(x - mean_c) * factor + mean_c`` with each channel's own mean over
    the image (TF's contrast op). Reduces over H, W per channel."""
    mean = img.mean(axis=(0, 1), keepdims=True)
    return (img - mean) * factor + mean


def adjust_saturation_hsv(img: np.ndarray, factor: float) -> np.ndarray:
    """Scale HSV saturation by ``factor``, clipped to [0, 1] (TF's
    saturation op). ``img`` is float32 BGR in [0, 1]."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0.0, 1.0)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def adjust_hue_shift(img: np.ndarray, delta: float) -> np.ndarray:
    """Rotate the hue by ``delta`` turns (TF's hue op). ``img`` is float32
    BGR in [0, 1]; OpenCV's float HSV has H in degrees."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * delta, 360.0)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


_JITTER_OPS = dict(
    brightness=adjust_brightness_additive,
    contrast=adjust_contrast_channel_mean,
    saturation=adjust_saturation_hsv,
    hue=adjust_hue_shift)


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """PseudoSeg's colour jitter, applied with probability 1.

    In a random order: brightness ``+ U(-brightness, brightness)`` on the
    [0, 1] scale, contrast factor ``U(1 - contrast, 1 + contrast)`` around
    each channel's mean, saturation factor ``U(1 - saturation,
    1 + saturation)`` in HSV, hue shift ``U(-hue, hue)`` turns; the image
    is clipped to [0, 1] after each op. Works on a BGR ``img``, uint8 or
    float on the 0-255 scale, and returns float32 on that scale without
    rounding (the release keeps the jittered image float until
    normalisation).

    Required Keys: img. Modified Keys: img.

    Args:
        brightness (float): Max additive shift. Defaults to 0.5.
        contrast (float): Max contrast factor deviation. Defaults to 0.5.
        saturation (float): Max saturation factor deviation. Defaults to
            0.5.
        hue (float): Max hue shift in turns, at most 0.5. Defaults to 0.25.
        to_uint8 (bool): Round the result back to uint8, as this transform
            did before it followed the release. Not the method; off by
            default.
    """

    def __init__(self,
                 brightness: float = 0.5,
                 contrast: float = 0.5,
                 saturation: float = 0.5,
                 hue: float = 0.25,
                 to_uint8: bool = False) -> None:
        for name, value, top in (('brightness', brightness, 1.0),
                                 ('contrast', contrast, 1.0),
                                 ('saturation', saturation, 1.0),
                                 ('hue', hue, 0.5)):
            if not 0.0 <= value <= top:
                raise ValueError(f'ColorJitter.{name} must be in [0, {top}],'
                                 f' got {value}')
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.to_uint8 = bool(to_uint8)

    @cache_randomness
    def _sample(self) -> List[Tuple[str, float]]:
        """The four ops in random order, each with its drawn parameter."""
        params = dict(
            brightness=np.random.uniform(-self.brightness, self.brightness),
            contrast=np.random.uniform(1 - self.contrast, 1 + self.contrast),
            saturation=np.random.uniform(1 - self.saturation,
                                         1 + self.saturation),
            hue=np.random.uniform(-self.hue, self.hue))
        order = np.random.permutation(list(_JITTER_OPS))
        return [(str(name), float(params[name])) for name in order]

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype not in (np.uint8, np.float32, np.float64) or \
                img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                'ColorJitter needs a uint8 or float HxWx3 BGR image on the '
                f'0-255 scale, got {img.dtype} {img.shape} from '
                f'{results.get("img_path")}')
        out = img.astype(np.float32) / 255.0
        for name, value in self._sample():
            out = np.clip(_JITTER_OPS[name](out, value), 0.0, 1.0)
        out = out * 255.0
        results['img'] = np.round(out).astype(np.uint8) if self.to_uint8 \
            else out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, '
                f'hue={self.hue}, to_uint8={self.to_uint8})')


@TRANSFORMS.register_module()
class CutOut(BaseTransform):
    """One square filled with the mean pixel, recorded as ``cutout_box``.

    The centre is uniform over the padded crop canvas (``pad_to``, or the
    image when it is larger or ``pad_to`` is None), as in the release,
    which pads before cropping; the box is clipped at the image border and
    may fall entirely into the padding. PseudoSeg leaves the box out of the
    consistency loss and masks it in the weak view's SGC attention.

    Required Keys: img. Modified Keys: img. Added Keys: cutout_box
    (``(y1, x1, y2, x2)`` ints, end exclusive, possibly empty).

    Args:
        size (int | tuple[int, int]): Side (or (h, w)) of the square; the
            release uses 100 for a 513 crop.
        fill (Sequence[float]): BGR fill value. Defaults to the ImageNet
            mean pixel, which mmseg's preprocessor normalises to 0.
        pad_to (tuple[int, int], optional): (H, W) of the crop the image
            will be padded to. Defaults to None (the image itself).
    """

    def __init__(self,
                 size: Union[int, Tuple[int, int]],
                 fill: Sequence[float] = MEAN_BGR,
                 pad_to: Optional[Tuple[int, int]] = None) -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'CutOut.size must be positive, got {size}')
        if len(fill) != 3:
            raise ValueError(f'CutOut.fill must be 3 values, got {fill}')
        self.size = size
        self.fill = tuple(float(v) for v in fill)
        self.pad_to = tuple(pad_to) if pad_to is not None else None

    @cache_randomness
    def _centre(self, h: int, w: int) -> Tuple[int, int]:
        return int(np.random.randint(0, h)), int(np.random.randint(0, w))

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        canvas_h, canvas_w = h, w
        if self.pad_to is not None:
            canvas_h, canvas_w = max(h, self.pad_to[0]), max(w, self.pad_to[1])
        cy, cx = self._centre(canvas_h, canvas_w)
        y1, x1 = cy - self.size[0] // 2, cx - self.size[1] // 2
        y1, y2 = max(0, min(h, y1)), max(0, min(h, y1 + self.size[0]))
        x1, x2 = max(0, min(w, x1)), max(0, min(w, x1 + self.size[1]))
        img = img.copy()
        # A float image gets the mean pixel exactly (the release's fill); a
        # uint8 one its rounding.
        img[y1:y2, x1:x2] = np.asarray(self.fill) if img.dtype.kind == 'f' \
            else np.round(self.fill).astype(img.dtype)
        results['img'] = img
        results['cutout_box'] = (y1, x1, y2, x2)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'fill={self.fill}, pad_to={self.pad_to})')


@TRANSFORMS.register_module()
class StrongView(BaseTransform):
    """Make (or extend) ``img_strong``: an image through extra transforms.

    The sub-pipeline runs on a copy, so ``img`` stays the weak view, and it
    must not change the image size: the two views share their geometry and
    the weak view's pseudo labels supervise the strong view pixel by pixel.
    Keys the sub-pipeline adds (e.g. ``cutout_box``) are copied over.

    The release jitters the whole scaled image before the crop and cuts
    out after it, so PseudoSeg's pipelines use it twice:
    ``StrongView([ColorJitter])`` after the scale (``from_key='img'``) and,
    after :class:`SameGeometry` has cropped and flipped both views,
    ``StrongView([CutOut], from_key='img_strong')``.

    UniMatch makes two strong views of the same crop, each its own
    ``StrongView`` with ``to_key='img_strong1'`` / ``'img_strong2'``.

    Required Keys: img (and ``to_key`` with ``from_key=to_key``).
    Added Keys: ``to_key``, and the sub-pipeline's.

    Args:
        transforms (list[dict]): Photometric transforms.
        from_key (str): The image the sub-pipeline starts from: ``'img'``
            (a new strong view of the weak one) or ``to_key`` (more
            transforms on the strong view). Defaults to ``'img'``.
        to_key (str): Where the strong view goes. Defaults to
            ``'img_strong'``.
    """

    def __init__(self,
                 transforms: List[dict],
                 from_key: str = 'img',
                 to_key: str = 'img_strong') -> None:
        if not to_key.startswith('img_'):
            raise ValueError('StrongView.to_key must name an image other '
                             f"than img ('img_...'), got {to_key!r}")
        if from_key not in ('img', to_key):
            raise ValueError(f'StrongView.from_key must be one of '
                             f"('img', {to_key!r}), got {from_key!r}")
        self.transforms = Compose(transforms)
        self.from_key = from_key
        self.to_key = to_key

    def transform(self, results: dict) -> dict:
        if self.from_key not in results:
            raise KeyError(
                f'StrongView(from_key={self.from_key!r}): '
                f'{results.get("img_path")} has no {self.from_key}; put a '
                "StrongView with from_key='img' earlier in the pipeline")
        strong = copy.copy(results)
        strong['img'] = results[self.from_key].copy()
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
        for key in strong.keys() - results.keys():
            results[key] = strong[key]
        results[self.to_key] = strong['img']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'from_key={self.from_key!r}, to_key={self.to_key!r})')


@TRANSFORMS.register_module()
class SameGeometry(BaseTransform):
    """Apply geometric transforms to ``img`` and, identically, to other
    images of the same size (the strong view made before the crop).

    The transforms run once on the results as usual (image, labels, meta
    such as ``img_shape`` and ``flip``), then on each of ``keys`` with the
    same random parameters (mmcv's ``cache_random_params``); only the image
    is taken from those runs. For the release's order of PseudoSeg's
    unlabeled stream: jitter the whole scaled image, then crop and flip
    both views together.

    Required Keys: img, each of ``keys``. Modified Keys: img, each of
    ``keys`` and whatever the transforms modify.

    Args:
        transforms (list[dict]): Geometric transforms whose randomness is
            drawn in ``cache_randomness`` methods (mmseg's ``RandomCrop``
            with ``cat_max_ratio=1``, mmcv's ``RandomFlip``).
        keys (Sequence[str]): The other images. Defaults to
            ``('img_strong',)``.
    """

    def __init__(self,
                 transforms: List[dict],
                 keys: Sequence[str] = ('img_strong', )) -> None:
        for t in transforms:
            if isinstance(t, dict) and t.get('type') == 'RandomCrop' and \
                    t.get('cat_max_ratio', 1.0) < 1.0:
                raise ValueError(
                    'SameGeometry cannot share a RandomCrop with '
                    'cat_max_ratio < 1 (it redraws the box); set '
                    f'cat_max_ratio=1.0, got {t}')
        self.transforms = Compose(transforms)
        self.keys = tuple(keys)
        if not self.keys or 'img' in self.keys:
            raise ValueError('SameGeometry.keys must name images other than '
                             f'img, got {keys}')

    def transform(self, results: dict) -> dict:
        missing = [k for k in self.keys if k not in results]
        if missing:
            raise KeyError(f'SameGeometry: {results.get("img_path")} has no '
                           f'{missing}; put StrongView before SameGeometry')
        # Everything but the labels, for the image-only runs.
        bare = {
            k: v
            for k, v in results.items()
            if k not in results.get('seg_fields', []) and k != 'gt_seg_map'
        }
        bare['seg_fields'] = []
        with cache_random_params(self.transforms):
            out = self.transforms(results)
            for key in self.keys:
                view = self.transforms(dict(bare, img=results[key]))
                if view['img'].shape[:2] != out['img'].shape[:2]:
                    raise ValueError(
                        f'SameGeometry: {key} of {results.get("img_path")} '
                        f'came out {view["img"].shape[:2]}, img '
                        f'{out["img"].shape[:2]}: the images must have the '
                        'same size before the transforms')
                out[key] = view['img']
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'keys={self.keys})')
