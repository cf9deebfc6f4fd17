"""Data preprocessor for batches with several named image branches."""
from typing import Dict

from mmengine.model import BaseDataPreprocessor
from mmseg.registry import MODELS
from mmseg.utils import ConfigType


@MODELS.register_module()
class MultiBranchSegDataPreProcessor(BaseDataPreprocessor):
    """Run one segmentation data preprocessor on every branch of a batch.

    A training batch from :class:`MixedDataset` is
    ``dict(inputs=dict(sup=[...], weak=[...], strong=[...]),
    data_samples=dict(sup=[...], weak=[...], strong=[...]))``; each branch is
    normalised, stacked and padded on its own (weak and strong views share
    their geometry, so they get the same padding). A batch whose ``inputs``
    is not a dict (validation, testing) goes straight to the wrapped
    preprocessor, so predictions match the plain segmentor's.

    Args:
        data_preprocessor (dict): Config of the wrapped preprocessor,
            usually ``SegDataPreProcessor``.
    """

    def __init__(self, data_preprocessor: ConfigType) -> None:
        super().__init__()
        self.data_preprocessor = MODELS.build(data_preprocessor)

    def forward(self, data: dict, training: bool = False) -> Dict:
        """Preprocess every branch, or the plain batch.

        Args:
            data (dict): ``inputs`` and ``data_samples``, either lists or
                dicts of lists keyed by branch.
            training (bool): Whether in training mode.

        Returns:
            dict: Same layout as ``data`` with stacked tensors.
        """
        if not isinstance(data['inputs'], dict):
            return self.data_preprocessor(data, training)
        inputs, data_samples = {}, {}
        for branch, branch_inputs in data['inputs'].items():
            out = self.data_preprocessor(
                dict(
                    inputs=branch_inputs,
                    data_samples=data['data_samples'][branch]), training)
            inputs[branch] = out['inputs']
            data_samples[branch] = out['data_samples']
        return dict(inputs=inputs, data_samples=data_samples)
