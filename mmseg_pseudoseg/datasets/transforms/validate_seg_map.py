"""Fail early, naming the file, on labels that would train silently wrong."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ValidateSegMap(BaseTransform):
    """Check a freshly loaded label map against its image and class count.

    Place it right after ``LoadAnnotations``. Raises ``ValueError`` naming
    the label file when the label's size differs from the loaded image's
    (``ori_shape``, so a resize before ``LoadAnnotations``, as in mmseg's
    test pipelines, is fine), or when a label value is ``>= num_classes``
    and is not ``ignore_index``.

    Without a label (``gt_seg_map`` absent: inference, where mmseg's
    ``inference_model`` and ``MMSegInferencer`` drop ``LoadAnnotations``
    from the test pipeline) there is nothing to check and the results pass
    through unchanged.

    Required Keys: ori_shape or img; gt_seg_map when a label was loaded.

    Args:
        num_classes (int): K, classes including background.
        ignore_index (int): The one label value allowed beyond the classes.
            Defaults to 255.
    """

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        if num_classes < 1:
            raise ValueError(
                f'ValidateSegMap.num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            return results
        seg = results['gt_seg_map']
        seg_path = results.get('seg_map_path')
        img_shape = tuple(results.get('ori_shape') or
                          results['img'].shape[:2])[:2]
        if seg.shape[:2] != img_shape:
            raise ValueError(
                f'label {seg_path} is {seg.shape[0]}x{seg.shape[1]} but its '
                f'image {results.get("img_path")} is '
                f'{img_shape[0]}x{img_shape[1]}')
        bad = (seg >= self.num_classes) & (seg != self.ignore_index)
        if bad.any():
            values = np.unique(seg[bad]).tolist()
            raise ValueError(
                f'label {seg_path} has values {values[:10]} >= num_classes '
                f'({self.num_classes}) that are not ignore_index '
                f'({self.ignore_index})')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
