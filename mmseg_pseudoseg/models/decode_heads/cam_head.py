"""Image-level classification head that produces the SGC map."""
from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig, SampleList
from torch import Tensor

from ..utils.cam import (attention_refine, cosine_affinity,
                         gap_linear_grad_cam, image_labels_from_seg,
                         normalize_cam, sgc_scores)


@MODELS.register_module()
class CAMHead(BaseModule):
    """Multi-label classifier with self-attention Grad-CAM (SGC) output.

    From `PseudoSeg: Designing Pseudo Labels for Semantic Segmentation
    <https://arxiv.org/abs/2010.09713>`_. A GAP + linear layer on one
    backbone feature map classifies the image (one sigmoid per foreground
    class), trained with image-level labels derived from the pixel labels of
    labeled images. For pseudo labels, :meth:`sgc`

    1. computes Grad-CAM of that classifier in closed form
       (``gap_linear_grad_cam``, equal to autograd Grad-CAM);
    2. refines it by self-attention: every position takes the
       affinity-weighted average of the CAM, with the affinity a sharp
       softmax of the features' cosine self-similarity (``cosine_affinity``);
    3. normalises each class map to [0, 1], weights it by the image-level
       class probability and adds a background score ``1 - max_f fg_f``.

    Deviation: the attention has no learned query/key projections. A learned
    attention trained only through the classification loss is free to mix
    background into object features (we saw it do so), which is the
    opposite of what the refinement is for.

    Args:
        in_channels (int): Channels C of the selected backbone output.
        num_classes (int): K, classes including background (index 0).
        in_index (int): Which backbone output to use. Defaults to -1.
        refine_temperature (float): Temperature of the refinement affinity.
            Defaults to 0.1.
        ignore_index (int): Pixel label ignored when deriving image labels.
            Defaults to 255.
        loss_weight (float): Weight of the classification loss.
            Defaults to 1.0.
        detach_input (bool): Train the classifier on detached features, so
            the classification loss does not reach the shared backbone (the
            head becomes a linear probe of the segmentation features).
            Defaults to False (joint training, as in the paper).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 in_index: int = -1,
                 refine_temperature: float = 0.1,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 detach_input: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 2:
            raise ValueError('CAMHead.num_classes counts background and must '
                             f'be >= 2, got {num_classes}')
        if in_channels < 1:
            raise ValueError(
                f'CAMHead.in_channels must be >= 1, got {in_channels}')
        if refine_temperature <= 0:
            raise ValueError('CAMHead.refine_temperature must be > 0, got '
                             f'{refine_temperature}')
        if loss_weight < 0:
            raise ValueError(
                f'CAMHead.loss_weight must be >= 0, got {loss_weight}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.in_index = in_index
        self.refine_temperature = refine_temperature
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self.detach_input = detach_input
        self.classifier = nn.Linear(in_channels, num_classes - 1)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Image-level logits.

        Args:
            inputs (list[Tensor]): Backbone outputs.

        Returns:
            Tensor: (B, K - 1) foreground class logits.
        """
        return self.classifier(inputs[self.in_index].mean(dim=(2, 3)))

    def loss(self, inputs: Sequence[Tensor],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Multi-label BCE against labels derived from ``gt_sem_seg``.

        Args:
            inputs (list[Tensor]): Backbone outputs of labeled images.
            data_samples (list[SegDataSample]): With ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and the diagnostic ``acc_cls``
            (fraction of correct per-class presence decisions).
        """
        seg = torch.stack([s.gt_sem_seg.data for s in data_samples])
        labels = image_labels_from_seg(seg, self.num_classes,
                                       self.ignore_index)
        if self.detach_input:
            inputs = [x.detach() for x in inputs]
        logits = self.forward(inputs)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        acc = ((logits > 0).float() == labels).float().mean().detach()
        return dict(loss_cls=self.loss_weight * loss, acc_cls=acc)

    @torch.no_grad()
    def sgc(self, inputs: Sequence[Tensor]) -> Tensor:
        """Self-attention Grad-CAM scores, no gradient.

        Args:
            inputs (list[Tensor]): Backbone outputs.

        Returns:
            Tensor: (B, K, h, w) scores in [0, 1], background at index 0.
        """
        feats = inputs[self.in_index]
        probs = torch.sigmoid(self.classifier(feats.mean(dim=(2, 3))))
        cam = gap_linear_grad_cam(feats, self.classifier.weight)
        affinity = cosine_affinity(feats, self.refine_temperature)
        cam = normalize_cam(attention_refine(cam, affinity))
        return sgc_scores(cam, probs)

    def extra_repr(self) -> str:
        return f'num_classes={self.num_classes}, in_index={self.in_index}'
