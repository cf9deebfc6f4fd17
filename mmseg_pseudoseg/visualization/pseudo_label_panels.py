"""Pictures of the maps behind PseudoSeg's pseudo labels.

Pure drawing: the maps come from :meth:`PseudoSeg.pseudo_label_maps`, the
images from the data preprocessor's output, un-normalised with its mean and
std. Every panel is an RGB uint8 array of the weak view's size (the image
inside the padded batch, ``img_shape``).

Shape key: B: batch, K: classes incl. background, F = K - 1, H, W: padded
input size, h, w: feature sizes.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

IGNORE_COLOR = (255, 255, 255)
PANEL_TITLES = OrderedDict(
    weak='weak view',
    decoder='decoder',
    gradcam='Grad-CAM',
    sgc='SGC',
    pseudo_label='pseudo label',
    confidence='confidence',
    strong='strong view',
    gt='ground truth')


def denormalize(image: Tensor,
                mean: Optional[Tensor],
                std: Optional[Tensor],
                input_is_rgb: bool = True) -> np.ndarray:
    """(3, H, W) normalised input -> (H, W, 3) RGB uint8.

    Args:
        image (Tensor): One preprocessed image.
        mean (Tensor, optional): The preprocessor's (3, 1, 1) mean (None:
            not normalised).
        std (Tensor, optional): Its (3, 1, 1) std.
        input_is_rgb (bool): Whether the channels are in RGB order (the
            preprocessor's ``bgr_to_rgb``); else BGR (mmcv's loading order).
    """
    image = image.detach().float().cpu()
    if mean is not None:
        image = image * std.cpu() + mean.cpu()
    array = image.clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
    return np.ascontiguousarray(array if input_is_rgb else array[..., ::-1])


def colorize(labels: np.ndarray,
             palette: Sequence[Sequence[int]],
             ignore_index: int = 255) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) palette colours; ``ignore_index`` and
    ids without a colour are white."""
    table = np.full((256, 3), IGNORE_COLOR, np.uint8)
    palette = np.asarray(palette, np.uint8).reshape(-1, 3)[:256]
    table[:len(palette)] = palette
    table[ignore_index % 256] = IGNORE_COLOR
    return table[np.clip(labels, 0, 255).astype(np.int64)]


def blend(image: np.ndarray, overlay: np.ndarray,
          alpha: float = 0.5) -> np.ndarray:
    """``(1 - alpha) * image + alpha * overlay`` as uint8."""
    mixed = (1 - alpha) * image.astype(np.float32) + \
        alpha * overlay.astype(np.float32)
    return np.clip(mixed.round(), 0, 255).astype(np.uint8)


def heat_map(values: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) RGB jet colours."""
    grey = np.clip(values * 255.0, 0, 255).round().astype(np.uint8)
    return cv2.applyColorMap(grey, cv2.COLORMAP_JET)[..., ::-1].copy()


def draw_box(image: np.ndarray, box: Sequence[int],
             color=(255, 0, 255)) -> np.ndarray:
    """A copy of ``image`` with the outline of ``box = (y1, x1, y2, x2)``
    (end exclusive); an empty box draws nothing."""
    image = image.copy()
    y1, x1, y2, x2 = (int(v) for v in box)
    if y2 > y1 and x2 > x1:
        cv2.rectangle(image, (x1, y1), (x2 - 1, y2 - 1), color, 1)
    return image


def _resized(maps: Tensor, size, align_corners: bool) -> Tensor:
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps.float()
    return F.interpolate(
        maps.float(), size=size, mode='bilinear', align_corners=align_corners)


def pseudo_label_panels(maps: Dict[str, Tensor],
                        weak: Tensor,
                        strong: Tensor,
                        weak_sample,
                        strong_sample,
                        index: int,
                        palette: Sequence[Sequence[int]],
                        mean: Optional[Tensor] = None,
                        std: Optional[Tensor] = None,
                        input_is_rgb: bool = True,
                        keep: Optional[Tensor] = None,
                        ignore_index: int = 255,
                        align_corners: bool = False
                        ) -> 'OrderedDict[str, np.ndarray]':
    """Panels of image ``index`` of a batch, each (h, w, 3) RGB uint8.

    Args:
        maps (dict[str, Tensor]): :meth:`PseudoSeg.pseudo_label_maps` of
            the weak batch: ``seg_logits`` (B, K, h, w), ``probs``
            (B, K, H, W) and, with an SGC source, ``image_labels`` (B, F),
            ``cam`` (B, F, h, w), ``sgc_logits`` (B, K, h, w).
        weak (Tensor): (B, 3, H, W) preprocessed weak views.
        strong (Tensor): (B, 3, H, W) preprocessed strong views.
        weak_sample (SegDataSample): The weak sample of image ``index``
            (its ``img_shape`` crops the padding; ``gt_sem_seg``, if set,
            gives the ground-truth panel).
        strong_sample (SegDataSample): Its strong sample (``cutout_box``).
        index (int): Image in the batch.
        palette (Sequence): One RGB colour per class.
        mean, std (Tensor, optional): The preprocessor's normalisation.
        input_is_rgb (bool): Channel order of the preprocessed images.
        keep (Tensor, optional): (B, H, W) bool, the pixels the consistency
            loss uses; the others are white in the pseudo-label panel.
        ignore_index (int): Label drawn white in the ground truth.
        align_corners (bool): For resizing the logits (the decode head's).

    Returns:
        OrderedDict[str, np.ndarray]: ``weak``, ``decoder``, ``gradcam`` and
        ``sgc`` (if the maps have them), ``pseudo_label``, ``confidence``,
        ``strong`` (its CutOut box outlined) and ``gt`` (if the sample has
        it). :func:`panel_titles` gives their titles.
    """
    size = tuple(weak.shape[-2:])
    h, w = weak_sample.metainfo.get('img_shape', size)[:2]
    image = denormalize(weak[index], mean, std, input_is_rgb)[:h, :w]
    panels = OrderedDict(weak=image)

    def segmentation(logits):
        labels = _resized(logits[index:index + 1], size,
                          align_corners)[0].argmax(dim=0)
        return blend(image, colorize(labels.cpu().numpy()[:h, :w], palette))

    panels['decoder'] = segmentation(maps['seg_logits'])
    if 'cam' in maps:
        cam = _resized(maps['cam'][index:index + 1], size, align_corners)[0]
        strength = cam.max(dim=0).values if cam.shape[0] else \
            torch.zeros(size)
        panels['gradcam'] = blend(
            image, heat_map(strength.clamp(0, 1).cpu().numpy()[:h, :w]))
    if 'sgc_logits' in maps:
        panels['sgc'] = segmentation(maps['sgc_logits'])
    conf, labels = maps['probs'][index].float().max(dim=0)
    labels = labels.cpu().numpy()
    if keep is not None:
        labels = np.where(keep[index].cpu().numpy(), labels, ignore_index)
    panels['pseudo_label'] = blend(image, colorize(labels[:h, :w], palette))
    grey = (conf.cpu().numpy()[:h, :w] * 255).round().astype(np.uint8)
    panels['confidence'] = np.repeat(grey[..., None], 3, axis=2)
    strong_image = denormalize(strong[index], mean, std,
                               input_is_rgb)[:h, :w]
    box = strong_sample.metainfo.get('cutout_box')
    panels['strong'] = draw_box(strong_image, box) if box else strong_image
    if 'gt_sem_seg' in weak_sample:
        gt = weak_sample.gt_sem_seg.data[0].cpu().numpy()[:h, :w]
        panels['gt'] = blend(image, colorize(gt, palette, ignore_index))
    return panels


def panel_titles(maps: Dict[str, Tensor], index: int,
                 classes: Optional[Sequence[str]]) -> Dict[str, str]:
    """Titles of the panels; Grad-CAM's names the image labels it used."""
    titles = dict(PANEL_TITLES)
    if 'image_labels' in maps:
        ids = torch.nonzero(maps['image_labels'][index] > 0.5)[:, 0] + 1
        names = [
            classes[i] if classes is not None and i < len(classes) else
            str(i) for i in ids.tolist()
        ]
        titles['gradcam'] = 'Grad-CAM: ' + (', '.join(names) or 'none')
    return titles


_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _fit_text(text: str, width: int, largest: float = 0.4,
              smallest: float = 0.3):
    """The text (shortened with '..' if need be) and font scale that fit
    in ``width`` pixels."""
    def fits(t, s):
        return cv2.getTextSize(t, _FONT, s, 1)[0][0] <= width

    scale = largest
    while scale > smallest and not fits(text, scale):
        scale = round(scale - 0.05, 2)
    while len(text) > 1 and not fits(text, scale):
        text = text[:-3] + '..' if len(text) > 3 else text[:-1]
    return text, scale


def overview(panels: Dict[str, np.ndarray],
             titles: Optional[Dict[str, str]] = None,
             title_height: int = 14,
             gap: int = 2) -> np.ndarray:
    """Panels side by side, each under its title, on a white canvas."""
    titles = titles or PANEL_TITLES
    h = max(p.shape[0] for p in panels.values())
    widths = [p.shape[1] for p in panels.values()]
    canvas = np.full((h + title_height, sum(widths) + gap *
                      (len(widths) - 1), 3), 255, np.uint8)
    x = 0
    for (name, panel), width in zip(panels.items(), widths):
        canvas[title_height:title_height + panel.shape[0],
               x:x + width] = panel
        text, scale = _fit_text(titles.get(name, name), width - 2)
        cv2.putText(canvas, text, (x + 1, title_height - 4), _FONT, scale,
                    (0, 0, 0), 1, cv2.LINE_AA)
        x += width + gap
    return canvas
