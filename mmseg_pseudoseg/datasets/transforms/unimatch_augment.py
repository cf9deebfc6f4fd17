"""The strong views and CutMix boxes of UniMatch / FixMatch.

The release (LiheYoung/UniMatch, ``dataset/semi.py``, ``transform.py``)
makes each strong view of the geometrically augmented crop with
torchvision on PIL images: with p=0.8 ``ColorJitter(0.5, 0.5, 0.5, 0.25)``,
``RandomGrayscale(p=0.2)``, with p=0.5 a Gaussian blur of sigma
U(0.1, 2.0); and, per strong view, with p=0.5 one CutMix box.

What is reused and what is written here:

- :class:`RandomColorJitter` is torchvision's ``ColorJitter`` (factors
  U(max(0, 1 - b), 1 + b) for brightness, contrast and saturation, hue
  shift U(-h, h) turns, the four ops in a random order) built from mmcv's
  photometric functions, which implement the same PIL operations
  torchvision calls for PIL images: ``mmcv.adjust_brightness`` (blend with
  black), ``adjust_contrast`` (blend with the rounded grey-level mean),
  ``adjust_color`` (blend with the greyscale image); the hue shift is
  :func:`shift_hue`, ``mmcv.adjust_hue``'s OpenCV path (uint8 hue shift in
  HSV) written here because mmcv's raises ``OverflowError`` on a negative
  shift under numpy >= 2. They agree with PIL up to uint8 rounding.
  mmseg's ``PhotoMetricDistortion`` is a different op, and this package's
  ``ColorJitter`` is PseudoSeg's TensorFlow colour ops.
- Greyscale is mmcv's ``RandomGrayscale`` (configs set the ITU-R 601-2
  weights that PIL's ``convert('L')`` uses and ``keep_channels=True``);
  it truncates where PIL rounds.
- :class:`RandomGaussianBlur` is written here (mmseg's
  ``BioMedicalGaussianBlur`` works on 3-D medical volumes): OpenCV's
  Gaussian blur with edge replication, where PIL's ``GaussianBlur`` (radius
  = sigma) approximates the Gaussian with repeated box blurs.
- :class:`RandomCutMixBox` is written here (no mmcv/mmseg transform draws a
  box without pasting): it only records the box; the model pastes the mix
  batch into it (:func:`~mmseg_pseudoseg.models.utils.cutmix`).

No torchvision dependency.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

Box = Tuple[int, int, int, int]


def sample_cutmix_box(crop_size: Tuple[int, int],
                      prob: float = 0.5,
                      area_range: Tuple[float, float] = (0.02, 0.4),
                      ratio_range: Tuple[float, float] = (0.3, 1 / 0.3),
                      rng=np.random) -> Optional[Box]:
    """Draw one CutMix box as the release does, or None.

    With probability ``prob`` a box: area ``U(area_range) * H * W`` (drawn
    once), then aspect ratio ``r ~ U(ratio_range)``, width
    ``int(sqrt(area / r))``, height ``int(sqrt(area * r))`` and top-left
    corner uniform over the crop, redrawn (ratio and corner) until the box
    fits inside the crop.

    Args:
        crop_size (tuple[int, int]): (H, W) of the crop the box lies in.
        prob (float): Probability of a box. Defaults to 0.5.
        area_range (tuple[float, float]): Range of the box area as a
            fraction of the crop. Defaults to (0.02, 0.4).
        ratio_range (tuple[float, float]): Range of height / width.
            Defaults to (0.3, 1 / 0.3).
        rng: ``numpy.random`` or a ``RandomState``. Defaults to numpy's
            global RNG (seeded per dataloader worker by mmengine).

    Returns:
        tuple | None: ``(y1, x1, y2, x2)``, end exclusive, or None.
    """
    h, w = crop_size
    if rng.random_sample() >= prob:
        return None
    area = rng.uniform(*area_range) * h * w
    while True:
        ratio = rng.uniform(*ratio_range)
        box_w = int(math.sqrt(area / ratio))
        box_h = int(math.sqrt(area * ratio))
        x, y = int(rng.randint(0, w)), int(rng.randint(0, h))
        if x + box_w <= w and y + box_h <= h:
            return y, x, y + box_h, x + box_w


@TRANSFORMS.register_module()
class RandomCutMixBox(BaseTransform):
    """Record one CutMix box (or None) per strong view, as the release.

    The box lies in the padded crop (``crop_size``; mmseg's preprocessor
    pads the image at the bottom and right to it), so it may cover padding,
    as in the release, which pads before cropping. The image is unchanged.

    Required Keys: img. Added Keys: ``key`` (``(y1, x1, y2, x2)`` or None).

    Args:
        crop_size (tuple[int, int]): (H, W) of the training crop.
        prob (float): Probability of a box. Defaults to 0.5.
        area_range (tuple[float, float]): Defaults to (0.02, 0.4).
        ratio_range (tuple[float, float]): Defaults to (0.3, 1 / 0.3).
        key (str): Results key of the box; one per strong view
            (``cutmix_box1``, ``cutmix_box2``). Defaults to 'cutmix_box'.
    """

    def __init__(self,
                 crop_size: Tuple[int, int],
                 prob: float = 0.5,
                 area_range: Tuple[float, float] = (0.02, 0.4),
                 ratio_range: Tuple[float, float] = (0.3, 1 / 0.3),
                 key: str = 'cutmix_box') -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomCutMixBox.prob must be in [0, 1], got '
                             f'{prob}')
        if not 0.0 < area_range[0] <= area_range[1] <= 1.0:
            raise ValueError('RandomCutMixBox.area_range must satisfy '
                             f'0 < low <= high <= 1, got {area_range}')
        if not 0.0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError('RandomCutMixBox.ratio_range must satisfy '
                             f'0 < low <= high, got {ratio_range}')
        self.crop_size = tuple(crop_size)
        self.prob = prob
        self.area_range = tuple(area_range)
        self.ratio_range = tuple(ratio_range)
        self.key = key

    @cache_randomness
    def _box(self) -> Optional[Box]:
        return sample_cutmix_box(self.crop_size, self.prob, self.area_range,
                                 self.ratio_range)

    def transform(self, results: dict) -> dict:
        results[self.key] = self._box()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'prob={self.prob}, area_range={self.area_range}, '
                f'ratio_range={self.ratio_range}, key={self.key!r})')


def shift_hue(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """Rotate the hue of a uint8 BGR image by ``hue_factor`` turns, as
    ``mmcv.adjust_hue`` (OpenCV backend) and torchvision's PIL path do: the
    shift ``hue_factor * 255`` truncated to an integer, added to the uint8
    hue channel of HSV_FULL with wrap-around. Unlike ``mmcv.adjust_hue``
    it works under numpy >= 2, whose ``np.uint8(-8.7)`` raises where numpy
    1 wrapped to 248."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(
            f"hue_factor must be in [-0.5, 0.5], got {hue_factor}")
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += np.uint8(int(hue_factor * 255) % 256)  # wraps mod 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)


@TRANSFORMS.register_module()
class RandomColorJitter(BaseTransform):
    """torchvision's ``ColorJitter`` on a BGR uint8 image, with
    probability ``prob`` (the release's ``RandomApply(p=0.8)``).

    Brightness, contrast and saturation factors ``U(max(0, 1 - v),
    1 + v)``, hue shift ``U(-hue, hue)`` turns, applied in a random order
    with mmcv's PIL-equivalent functions (see the module docstring).

    Required Keys: img. Modified Keys: img (uint8).

    Args:
        brightness, contrast, saturation (float): Max factor deviations,
            >= 0. Default to 0.5.
        hue (float): Max hue shift in turns, in [0, 0.5]. Defaults to 0.25.
        prob (float): Probability of jittering at all. Defaults to 0.8.
    """

    OPS = ('brightness', 'contrast', 'saturation', 'hue')

    def __init__(self,
                 brightness: float = 0.5,
                 contrast: float = 0.5,
                 saturation: float = 0.5,
                 hue: float = 0.25,
                 prob: float = 0.8) -> None:
        for name, value in (('brightness', brightness),
                            ('contrast', contrast),
                            ('saturation', saturation)):
            if value < 0:
                raise ValueError(
                    f'RandomColorJitter.{name} must be >= 0, got {value}')
        if not 0.0 <= hue <= 0.5:
            raise ValueError(
                f'RandomColorJitter.hue must be in [0, 0.5], got {hue}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(
                f'RandomColorJitter.prob must be in [0, 1], got {prob}')
        # As torchvision, an op with 0 is skipped (not applied with a
        # neutral parameter: the uint8 HSV round trip of hue is lossy).
        ranges = dict(
            brightness=(max(0.0, 1 - brightness), 1 + brightness),
            contrast=(max(0.0, 1 - contrast), 1 + contrast),
            saturation=(max(0.0, 1 - saturation), 1 + saturation),
            hue=(-hue, hue))
        values = dict(brightness=brightness, contrast=contrast,
                      saturation=saturation, hue=hue)
        self.ranges = {k: v for k, v in ranges.items() if values[k] > 0}
        self.prob = prob

    @cache_randomness
    def _sample(self) -> Sequence[Tuple[str, float]]:
        """The ops in a random order with their parameters, or []."""
        if np.random.random_sample() >= self.prob:
            return []
        order = [self.OPS[i] for i in np.random.permutation(len(self.OPS))]
        return [(name, float(np.random.uniform(*self.ranges[name])))
                for name in order if name in self.ranges]

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError('RandomColorJitter needs an HxWx3 BGR image, '
                             f'got {img.shape} from {results.get("img_path")}')
        # PIL works on uint8, so does the release.
        img = np.clip(np.round(img), 0, 255).astype(np.uint8) \
            if img.dtype != np.uint8 else img
        for name, value in self._sample():
            if name == 'brightness':
                img = mmcv.adjust_brightness(img, value)
            elif name == 'contrast':
                img = mmcv.adjust_contrast(img, value)
            elif name == 'saturation':
                img = mmcv.adjust_color(img, value)
            else:
                img = shift_hue(img, value)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ranges={self.ranges}, '
                f'prob={self.prob})')


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur of sigma ``U(sigma_range)`` with probability ``prob``
    (the release's ``blur``), edges replicated.

    Required Keys: img. Modified Keys: img.

    Args:
        sigma_range (tuple[float, float]): Defaults to (0.1, 2.0).
        prob (float): Defaults to 0.5.
    """

    def __init__(self,
                 sigma_range: Tuple[float, float] = (0.1, 2.0),
                 prob: float = 0.5) -> None:
        if not 0.0 < sigma_range[0] <= sigma_range[1]:
            raise ValueError('RandomGaussianBlur.sigma_range must satisfy '
                             f'0 < low <= high, got {sigma_range}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(
                f'RandomGaussianBlur.prob must be in [0, 1], got {prob}')
        self.sigma_range = tuple(sigma_range)
        self.prob = prob

    @cache_randomness
    def _sigma(self) -> Optional[float]:
        if np.random.random_sample() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma_range))

    def transform(self, results: dict) -> dict:
        sigma = self._sigma()
        if sigma is not None:
            results['img'] = cv2.GaussianBlur(
                results['img'], (0, 0),
                sigmaX=sigma,
                sigmaY=sigma,
                borderType=cv2.BORDER_REPLICATE)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma_range={self.sigma_range}, '
                f'prob={self.prob})')
