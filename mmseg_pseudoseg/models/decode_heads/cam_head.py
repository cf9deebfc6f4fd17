"""Image-level classification head that produces the SGC map."""
from typing import Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig, SampleList
from torch import Tensor

from ..utils.cam import (attention_affinity, attention_refine,
                         gap_linear_grad_cam, image_labels_from_seg,
                         normalize_cam, sgc_scores)


@MODELS.register_module()
class CAMHead(BaseModule):
    """Multi-label classifier with self-attention Grad-CAM (SGC) output.

    From `PseudoSeg: Designing Pseudo Labels for Semantic Segmentation
    <https://arxiv.org/abs/2010.09713>`_. A SAGAN-style self-attention block
    refines the backbone feature map A; a GAP + linear layer classifies the
    image (one sigmoid per foreground class). Training uses image-level
    labels derived from the pixel labels of labeled images. For pseudo labels,
    :meth:`sgc` computes Grad-CAM of that classifier in closed form,
    propagates it with the same attention affinity, normalises each class map
    to [0, 1], weights it by the image-level class probability and adds a
    background score ``1 - max_f fg_f``.

    Args:
        in_channels (int): Channels C of the selected backbone output.
        num_classes (int): K, classes including background (index 0).
        in_index (int): Which backbone output to use. Defaults to -1.
        attention_channels (int): D, query/key channels. Defaults to 64.
        ignore_index (int): Pixel label ignored when deriving image labels.
            Defaults to 255.
        loss_weight (float): Weight of the classification loss.
            Defaults to 1.0.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 in_index: int = -1,
                 attention_channels: int = 64,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 2:
            raise ValueError('CAMHead.num_classes counts background and must '
                             f'be >= 2, got {num_classes}')
        if in_channels < 1 or attention_channels < 1:
            raise ValueError('CAMHead.in_channels and attention_channels '
                             f'must be >= 1, got {in_channels}, '
                             f'{attention_channels}')
        if loss_weight < 0:
            raise ValueError(
                f'CAMHead.loss_weight must be >= 0, got {loss_weight}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.in_index = in_index
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self.query = nn.Conv2d(in_channels, attention_channels, 1)
        self.key = nn.Conv2d(in_channels, attention_channels, 1)
        self.value = nn.Conv2d(in_channels, in_channels, 1)
        # SAGAN: the attention branch starts switched off.
        self.gamma = nn.Parameter(torch.zeros(1))
        self.classifier = nn.Linear(in_channels, num_classes - 1)

    def _attend(self, inputs: Sequence[Tensor]):
        """Self-attention on the selected feature map.

        Returns:
            tuple[Tensor, Tensor]: Refined features (B, C, h, w) and the
            affinity (B, N, N).
        """
        x = inputs[self.in_index]
        affinity = attention_affinity(self.query(x), self.key(x))
        feats = x + self.gamma * attention_refine(self.value(x), affinity)
        return feats, affinity

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Image-level logits.

        Args:
            inputs (list[Tensor]): Backbone outputs.

        Returns:
            Tensor: (B, K - 1) foreground class logits.
        """
        feats, _ = self._attend(inputs)
        return self.classifier(feats.mean(dim=(2, 3)))

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
        feats, affinity = self._attend(inputs)
        probs = torch.sigmoid(self.classifier(feats.mean(dim=(2, 3))))
        cam = gap_linear_grad_cam(feats, self.classifier.weight)
        cam = normalize_cam(attention_refine(cam, affinity))
        return sgc_scores(cam, probs)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, in_index={self.in_index}')


