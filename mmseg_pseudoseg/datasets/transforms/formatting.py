"""Packing of the unlabeled views."""
from typing import Dict

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


@TRANSFORMS.register_module()
class PackMultiViewSegInputs(BaseTransform):
    """Pack several views of one unlabeled crop into named branches.

    Output: ``dict(inputs={view: T}, data_samples={view: S})`` with one
    branch per entry of ``views``. Every data sample carries the crop's
    metainfo (``img_shape``: the valid region before padding); a view named
    in ``boxes`` also carries ``cutmix_box`` (from
    :class:`RandomCutMixBox`, None when none was drawn). For UniMatch:
    ``weak``, ``strong1``, ``strong2``; ``gt_sem_seg``, if the pipeline
    loaded labels, serves only diagnostics.

    Required Keys: the images of ``views``. Optional Keys: the boxes of
    ``boxes``, gt_seg_map.

    Args:
        views (dict[str, str]): Branch name -> results key of its image.
            Defaults to UniMatch's ``weak``/``strong1``/``strong2`` from
            ``img``/``img_strong1``/``img_strong2``.
        boxes (dict[str, str]): Branch name -> results key of its CutMix
            box. Defaults to ``strong1``/``strong2`` from
            ``cutmix_box1``/``cutmix_box2``.
        meta_keys (tuple): Passed to ``PackSegInputs``.
    """

    def __init__(self,
                 views: Dict[str, str] = dict(
                     weak='img', strong1='img_strong1',
                     strong2='img_strong2'),
                 boxes: Dict[str, str] = dict(
                     strong1='cutmix_box1', strong2='cutmix_box2'),
                 meta_keys=PackSegInputs().meta_keys) -> None:
        unknown = set(boxes) - set(views)
        if unknown:
            raise ValueError('PackMultiViewSegInputs.boxes names views '
                             f'{sorted(unknown)} that views lacks')
        self.views = dict(views)
        self.boxes = dict(boxes)
        self.pack = PackSegInputs(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        missing = [
            key for key in list(self.views.values()) +
            list(self.boxes.values()) if key not in results
        ]
        if missing:
            raise KeyError(
                f'PackMultiViewSegInputs: {results.get("img_path")} has no '
                f'{missing}; make them earlier in the pipeline (StrongView '
                "with to_key=..., RandomCutMixBox with key=...)")
        inputs, samples = {}, {}
        for view, key in self.views.items():
            packed = self.pack(dict(results, img=results[key]))
            inputs[view] = packed['inputs']
            samples[view] = packed['data_samples']
            if view in self.boxes:
                samples[view].set_metainfo(
                    dict(cutmix_box=results[self.boxes[view]]))
        return dict(inputs=inputs, data_samples=samples)
