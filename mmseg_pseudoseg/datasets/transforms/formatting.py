"""Packing of the two unlabeled views."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackWeakStrongSegInputs(BaseTransform):
    """Pack ``img`` (weak) and ``img_strong`` into two branches.

    Output: ``dict(inputs=dict(weak=T, strong=T), data_samples=dict(weak=S,
    strong=S))``. Both data samples carry the same metainfo, the strong one
    also ``cutout_box`` (from :class:`CutOut`), which PseudoSeg leaves out
    of the consistency loss. ``gt_sem_seg``, if the pipeline loaded labels,
    serves only pseudo-label accuracy diagnostics, never the loss;
    ``gt_image_labels`` (image-level labels, if given) goes to both samples
    as a tensor.

    Required Keys: img, img_strong. Optional Keys: cutout_box,
    gt_image_labels, gt_seg_map.

    Args:
        meta_keys (tuple): Passed to ``PackSegInputs``.
    """

    def __init__(self, meta_keys=PackSegInputs().meta_keys) -> None:
        self.pack = PackSegInputs(meta_keys=meta_keys)
        self.pack_strong = PackSegInputs(
            meta_keys=tuple(meta_keys) + ('cutout_box', ))

    def transform(self, results: dict) -> dict:
        if 'img_strong' not in results:
            raise KeyError('PackWeakStrongSegInputs needs img_strong: add '
                           'StrongView before it in the unlabeled pipeline '
                           f'({results.get("img_path")})')
        weak = self.pack(results)
        strong = self.pack_strong(dict(results, img=results['img_strong']))
        samples = dict(weak=weak['data_samples'],
                       strong=strong['data_samples'])
        if 'gt_image_labels' in results:
            labels = torch.from_numpy(
                np.asarray(results['gt_image_labels'], dtype=np.float32))
            for sample in samples.values():
                sample.set_data(dict(gt_image_labels=labels))
        return dict(
            inputs=dict(weak=weak['inputs'], strong=strong['inputs']),
            data_samples=samples)
