"""Packing of the two unlabeled views."""
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackWeakStrongSegInputs(BaseTransform):
    """Pack ``img`` (weak) and ``img_strong`` into two branches.

    Output: ``dict(inputs=dict(weak=T, strong=T), data_samples=dict(weak=S,
    strong=S))``; both data samples carry the same metainfo, and
    ``gt_sem_seg`` if the pipeline loaded labels (used only for pseudo-label
    accuracy diagnostics, never for the loss).

    Required Keys: img, img_strong.

    Args:
        meta_keys (tuple): Passed to ``PackSegInputs``.
    """

    def __init__(self, meta_keys=PackSegInputs().meta_keys) -> None:
        self.pack = PackSegInputs(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img_strong' not in results:
            raise KeyError('PackWeakStrongSegInputs needs img_strong: add '
                           'StrongView before it in the unlabeled pipeline '
                           f'({results.get("img_path")})')
        weak = self.pack(results)
        strong_results = dict(results, img=results['img_strong'])
        strong = self.pack(strong_results)
        return dict(
            inputs=dict(weak=weak['inputs'], strong=strong['inputs']),
            data_samples=dict(
                weak=weak['data_samples'], strong=strong['data_samples']))
