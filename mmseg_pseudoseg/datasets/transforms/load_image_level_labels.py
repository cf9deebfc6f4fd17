"""Image-level labels for the "with image-level labels" setting.

Two sources: :class:`ImageLabelsFromSegMap` makes them from the augmented
crop's label map, as the release does (the paper's setting, VOC's labels
coming from SegmentationClassAug); :class:`LoadImageLevelLabels` reads
whole-image labels from a file, for users who have only image tags.
"""
import os.path as osp
import re
from typing import Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def read_image_labels(path: str,
                      num_classes: int) -> Tuple[Dict[str, tuple], int]:
    """Read an image-level label file.

    The format (written by ``tools/dataset_converters/voc_image_labels.py``)
    is one line per image, ``<id> <class> <class> ...``, with classes in
    1..num_classes-1 (the label values; background is never listed). All
    ids have the same number of ``/``-separated parts (``2007_000032``: 1;
    ``train2017/000000177254``: 2).

    Args:
        path (str): The label file.
        num_classes (int): K, classes including background.

    Returns:
        tuple[dict[str, tuple[int, ...]], int]: Classes per id, and the
        number of parts of every id.

    Raises:
        FileNotFoundError: Naming ``path``.
        ValueError: Naming ``path`` and the line, for a class that is not
            an integer in 1..K-1, a repeated id, or an id with another
            number of parts than the first.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-level label file {path} does not '
                                'exist (write it with tools/'
                                'dataset_converters/voc_image_labels.py)')
    labels, depth = {}, None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}, line {number}'
            sample, classes = fields[0], fields[1:]
            parts = len(sample.split('/'))
            if depth is None:
                depth = parts
            elif parts != depth:
                raise ValueError(f'{where}: id {sample!r} has {parts} '
                                 f'/-separated parts, earlier ids {depth}')
            if sample in labels:
                raise ValueError(f'{where}: id {sample!r} repeats')
            bad = [c for c in classes if not re.fullmatch(r'\d+', c)
                   or not 0 < int(c) < num_classes]
            if bad:
                raise ValueError(
                    f'{where}: classes {bad} are not integers in '
                    f'1..{num_classes - 1} (num_classes={num_classes})')
            labels[sample] = tuple(int(c) for c in classes)
    return labels, depth or 1


@TRANSFORMS.register_module()
class LoadImageLevelLabels(BaseTransform):
    """Add a sample's image-level labels (the foreground classes present).

    For the "with image-level labels" setting of
    `PseudoSeg <https://arxiv.org/abs/2010.09713>`_: the unlabeled images
    come with the classes they contain. The file is read once, when the
    transform is built; see :func:`read_image_labels` for its format.

    A sample is found by its id: ``img_path`` without its suffix, cut to
    as many trailing ``/``-parts as the file's ids have. So the ids are
    those of the split lists: ``.../JPEGImages/2007_000032.jpg`` ->
    ``2007_000032``; ``data/coco/train2017/000000177254.jpg`` ->
    ``train2017/000000177254``.

    Required Keys: img_path.

    Added Keys: gt_image_labels (np.ndarray): float32 multi-hot of shape
    (num_classes - 1,) over the foreground classes; index f is class f+1.

    Args:
        label_file (str): The image-level label file.
        num_classes (int): K, classes including background.
    """

    def __init__(self, label_file: str, num_classes: int) -> None:
        if num_classes < 2:
            raise ValueError('LoadImageLevelLabels.num_classes must be >= 2 '
                             f'(background + a class), got {num_classes}')
        self.label_file = label_file
        self.num_classes = num_classes
        self.labels, self.depth = read_image_labels(label_file, num_classes)

    def sample_id(self, img_path: str) -> str:
        """The id of the image at ``img_path`` (see the class doc)."""
        stem = osp.splitext(img_path.replace('\\', '/'))[0]
        return '/'.join(stem.split('/')[-self.depth:])

    def transform(self, results: dict) -> dict:
        sample = self.sample_id(results['img_path'])
        if sample not in self.labels:
            raise KeyError(f'image-level label file {self.label_file} has no '
                           f'line for id {sample!r} (image '
                           f'{results["img_path"]})')
        multi_hot = np.zeros(self.num_classes - 1, np.float32)
        multi_hot[[c - 1 for c in self.labels[sample]]] = 1
        results['gt_image_labels'] = multi_hot
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(label_file={self.label_file!r}, '
                f'num_classes={self.num_classes})')


@TRANSFORMS.register_module()
class ImageLabelsFromSegMap(BaseTransform):
    """Image-level labels of the augmented crop, from its label map.

    The release's "with image-level labels" setting makes them after the
    unlabeled stream's augmentation (scale, crop, flip, CutOut): a
    foreground class counts if at least one pixel of it is left in the
    crop, outside the strong view's CutOut box (whose label pixels the
    release sets to the ignore value) and not ignored. Put it after
    :class:`SameGeometry` and the CutOut ``StrongView``.

    The label map is then dropped unless ``keep_seg_map``: the image-level
    labels are all this setting gives the model about these images.

    Required Keys: gt_seg_map. Optional Keys: cutout_box.

    Added Keys: gt_image_labels (np.ndarray): float32 multi-hot of shape
    (num_classes - 1,); index f is class f+1.

    Removed Keys: gt_seg_map (unless ``keep_seg_map``).

    Args:
        num_classes (int): K, classes including background.
        ignore_index (int): Label value that is no class. Defaults to 255.
        keep_seg_map (bool): Keep ``gt_seg_map`` (it then reaches the weak
            sample, where PseudoSeg uses it only for its pseudo-label
            accuracy diagnostics). Defaults to False.
    """

    def __init__(self,
                 num_classes: int,
                 ignore_index: int = 255,
                 keep_seg_map: bool = False) -> None:
        if num_classes < 2:
            raise ValueError('ImageLabelsFromSegMap.num_classes must be >= 2 '
                             f'(background + a class), got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.keep_seg_map = keep_seg_map

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            raise KeyError(
                'ImageLabelsFromSegMap needs the label map of '
                f'{results.get("img_path")}: add LoadAnnotations (with the '
                "dataset's seg_map_path) to the unlabeled pipeline")
        seg = results['gt_seg_map']
        counted = seg != self.ignore_index
        box = results.get('cutout_box')
        if box is not None:
            y1, x1, y2, x2 = box
            counted[y1:y2, x1:x2] = False
        present = np.unique(seg[counted])
        bad = present[(present < 0) | (present >= self.num_classes)]
        if bad.size:
            raise ValueError(
                f'label map of {results.get("img_path")} has values '
                f'{bad.tolist()} outside 0..{self.num_classes - 1} and not '
                f'{self.ignore_index}')
        multi_hot = np.zeros(self.num_classes - 1, np.float32)
        multi_hot[present[present > 0] - 1] = 1
        results['gt_image_labels'] = multi_hot
        if not self.keep_seg_map:
            del results['gt_seg_map']
            if 'seg_fields' in results and 'gt_seg_map' in results[
                    'seg_fields']:
                results['seg_fields'].remove('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, '
                f'keep_seg_map={self.keep_seg_map})')
