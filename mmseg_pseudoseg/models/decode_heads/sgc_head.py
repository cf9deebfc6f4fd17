"""Self-attention Grad-CAM (SGC) head of PseudoSeg."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig, SampleList
from torch import Tensor

from ..utils.cam import grad_cam, image_labels_from_seg, sgc_attention
from ..utils.masks import resize_mask, valid_region_mask

VERSIONS = ('v2', 'v1')


@MODELS.register_module()
class SGCHead(BaseDecodeHead):
    """Image classifier + self-attention Grad-CAM, as a decode head.

    From `PseudoSeg: Designing Pseudo Labels for Semantic Segmentation
    <https://arxiv.org/abs/2010.09713>`_ (Sec. 3.2) and the authors'
    release ("v2" head). The head holds

    - a multi-label image classifier: global average pool of the last
      selected backbone stage, dropout, linear layer to F = K - 1
      foreground classes, trained by sigmoid BCE (``loss_cls``) on labeled
      images; its loss reaches the backbone;
    - the SGC refinement: closed-form Grad-CAM of that classifier
      (:func:`grad_cam`, times binary image labels, max-normalised), refined
      by self-attention whose query/key are 1x1 projections of the
      hypercolumn of the selected stages (:func:`sgc_attention`), then a
      1x1 conv (+ BN in v2) to K-class SGC logits. Its inputs are
      stop-gradient, so the segmentation loss ``loss_ce`` (``loss_decode``
      against the pixel labels, as in any decode head) trains only the
      query/key projections and the output conv/BN.

    ``forward`` returns SGC logits, so ``predict`` and mmseg evaluation work
    as for any decode head; without given image labels the classifier's own
    ``sigmoid >= 0.5`` decisions are used.

    Args:
        in_channels (int | Sequence[int]): Channels of the selected backbone
            outputs; the last one feeds the classifier. Defaults to
            (1024, 2048) (ResNet stages 3 and 4).
        num_classes (int): K, classes including background (index 0).
        in_index (int | Sequence[int]): Backbone outputs to use, same
            length as ``in_channels``. Defaults to (2, 3).
        key_channels (int): Query/key dimension D. Defaults to 128.
        version (str): 'v2' (residual attention, background ``2 - max``,
            output conv without bias + BN, the release's default) or 'v1'
            (no residual, background ``1 - max``, output conv with bias, no
            BN). Defaults to 'v2'.
        cls_dropout_ratio (float): Dropout before the classifier's linear
            layer. Defaults to 0.5.
        cls_loss_weight (float): Weight of ``loss_cls``. Defaults to 1.0.
        cls_detach_input (bool): Train the classifier on detached features,
            so ``loss_cls`` does not reach the backbone (a linear probe). Not
            the method; off by default.
        norm_cfg (dict): Norm of the v2 output layer. Defaults to the
            release's: ``dict(type='BN', requires_grad=True,
            momentum=0.001, eps=1e-3)`` (TF's decay 0.999, epsilon 1e-3).
        norm_scale (bool): Learn the norm's scale. Defaults to False: the
            release's BN learns a shift only (TF slim's default).
        loss_decode (dict | Sequence[dict]): Segmentation loss of the SGC
            logits. Defaults to ``CrossEntropyLoss`` with weight 1, averaged
            over the non-ignored pixels as in the release.
        ignore_index (int): Ignored pixel label. Defaults to 255.
        align_corners (bool): For resizing the SGC logits (to the labels,
            to the decoder's logits in the fusion, at prediction). Defaults
            to True, as TF's ``resize_bilinear`` in the release.
        init_cfg (dict | list[dict], optional): Initialization config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Union[int, Sequence[int]] = (1024, 2048),
                 in_index: Union[int, Sequence[int]] = (2, 3),
                 key_channels: int = 128,
                 version: str = 'v2',
                 cls_dropout_ratio: float = 0.5,
                 cls_loss_weight: float = 1.0,
                 cls_detach_input: bool = False,
                 norm_cfg: ConfigType = dict(
                     type='BN', requires_grad=True, momentum=0.001, eps=1e-3),
                 norm_scale: bool = False,
                 loss_decode: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=1.0,
                     avg_non_ignore=True),
                 ignore_index: int = 255,
                 align_corners: bool = True,
                 init_cfg: OptMultiConfig = dict(
                     type='Normal', std=0.01, override=dict(name='conv_seg'))
                 ) -> None:
        in_channels, in_index = self._as_lists(in_channels, in_index)
        if num_classes < 2:
            raise ValueError('SGCHead.num_classes counts background and must '
                             f'be >= 2, got {num_classes}')
        if version not in VERSIONS:
            raise ValueError(f'SGCHead.version must be one of {VERSIONS}, '
                             f'got {version!r}')
        if key_channels < 1:
            raise ValueError(
                f'SGCHead.key_channels must be >= 1, got {key_channels}')
        if not 0.0 <= cls_dropout_ratio < 1.0:
            raise ValueError('SGCHead.cls_dropout_ratio must be in [0, 1), '
                             f'got {cls_dropout_ratio}')
        if cls_loss_weight < 0:
            raise ValueError(
                f'SGCHead.cls_loss_weight must be >= 0, got {cls_loss_weight}')
        super().__init__(
            in_channels,
            num_classes,  # "channels" before conv_seg: the K scores
            num_classes=num_classes,
            dropout_ratio=0.0,
            norm_cfg=norm_cfg,
            in_index=in_index,
            input_transform='multiple_select',
            loss_decode=loss_decode,
            ignore_index=ignore_index,
            align_corners=align_corners,
            init_cfg=init_cfg)
        self.version = version
        self.key_channels = key_channels
        self.cls_loss_weight = cls_loss_weight
        self.cls_detach_input = cls_detach_input
        # Classifier on the last selected stage (F outputs, no background).
        self.cls_dropout = nn.Dropout(cls_dropout_ratio)
        self.classifier = nn.Linear(in_channels[-1], num_classes - 1)
        # No value projection: the value is the CAM itself.
        self.query = nn.Conv2d(
            sum(in_channels), key_channels, kernel_size=1, bias=False)
        self.key = nn.Conv2d(
            sum(in_channels), key_channels, kernel_size=1, bias=False)
        v2 = version == 'v2'
        self.conv_seg = nn.Conv2d(
            num_classes, num_classes, kernel_size=1, bias=not v2)
        self.norm = build_norm_layer(norm_cfg, num_classes)[1] if v2 else None
        if self.norm is not None and not norm_scale:
            self.norm.weight.requires_grad_(False)  # stays 1: shift only

    @staticmethod
    def _as_lists(in_channels, in_index):
        """Normalise a single stage to one-element lists, check lengths."""
        if isinstance(in_channels, int):
            in_channels = [in_channels]
        if isinstance(in_index, int):
            in_index = [in_index]
        in_channels, in_index = list(in_channels), list(in_index)
        if len(in_channels) != len(in_index) or not in_channels:
            raise ValueError(
                'SGCHead.in_channels and in_index must have the same, '
                f'non-zero length, got {in_channels} and {in_index}')
        return in_channels, in_index

    def _stages(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """The selected backbone outputs, channel counts checked."""
        feats = self._transform_inputs(inputs)
        got = [x.shape[1] for x in feats]
        if got != list(self.in_channels):
            raise ValueError(
                f'SGCHead.in_channels is {list(self.in_channels)} but the '
                f'backbone outputs {list(self.in_index)} have {got} '
                'channels: set sgc_head.in_channels (and in_index) to match '
                'the backbone')
        return feats

    def classify(self, inputs: Sequence[Tensor]) -> Tensor:
        """Image-level foreground logits (B, F), dropout in train mode.

        Args:
            inputs (list[Tensor]): Backbone outputs.
        """
        last = self._stages(inputs)[-1]
        if self.cls_detach_input:
            last = last.detach()
        return self.classifier(self.cls_dropout(last.mean(dim=(2, 3))))

    @torch.no_grad()
    def predict_image_labels(self, inputs: Sequence[Tensor]) -> Tensor:
        """Binary image labels ``sigmoid(logits) >= 0.5`` (B, F), no
        dropout, no gradient."""
        last = self._stages(inputs)[-1]
        probs = torch.sigmoid(self.classifier(last.mean(dim=(2, 3))))
        return (probs >= 0.5).to(last.dtype)

    def forward(self,
                inputs: Sequence[Tensor],
                image_labels: Optional[Tensor] = None,
                valid_mask: Optional[Tensor] = None) -> Tensor:
        """SGC logits (B, K, h, w); see :meth:`sgc` for the arguments."""
        return self.sgc(inputs, image_labels, valid_mask)[0]

    def sgc(self,
            inputs: Sequence[Tensor],
            image_labels: Optional[Tensor] = None,
            valid_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """SGC logits and the Grad-CAM they refine.

        Args:
            inputs (list[Tensor]): Backbone outputs.
            image_labels (Tensor, optional): (B, F) binary labels for
                Grad-CAM. Defaults to the classifier's own decisions
                (:meth:`predict_image_labels`).
            valid_mask (Tensor, optional): (B, H, W) bool at any resolution
                (resized by nearest neighbour to the features), True inside
                the image and outside the strong view's CutOut box; masks
                the attention. None: no mask.

        Returns:
            tuple[Tensor, Tensor]: (B, K, h, w) SGC logits and the
            (B, F, h, w) normalised Grad-CAM, at the last stage's
            resolution.
        """
        feats = [x.detach() for x in self._stages(inputs)]  # stop-gradient
        last = feats[-1]
        if image_labels is None:
            image_labels = self.predict_image_labels(inputs)
        cam = grad_cam(last, self.classifier.weight.detach(), image_labels)
        # Hypercolumn at the last stage's size, align_corners=True as in the
        # release.
        size = last.shape[2:]
        hyper = torch.cat([
            F.interpolate(x, size=size, mode='bilinear', align_corners=True)
            for x in feats
        ],
                          dim=1)
        if valid_mask is not None:
            valid_mask = resize_mask(valid_mask, size)
        scores = sgc_attention(
            cam,
            self.query(hyper),
            self.key(hyper),
            valid_mask,
            residual=self.version == 'v2').to(last.dtype)
        logits = self.conv_seg(scores)
        if self.norm is not None:
            logits = self.norm(logits)
        return logits, cam

    def loss(self,
             inputs: Sequence[Tensor],
             batch_data_samples: SampleList,
             train_cfg: ConfigType = None,
             with_cls_loss: bool = True) -> Dict[str, Tensor]:
        """Classifier BCE and SGC segmentation loss on labeled images.

        Image labels come from each sample's ``gt_image_labels`` if set,
        else from its (augmented, cropped) ``gt_sem_seg``; Grad-CAM uses
        them, and the attention is masked to the unpadded image.

        Args:
            with_cls_loss (bool): Add the classifier's BCE. False where the
                classifier trains on image-labeled data instead (the "with
                image-level labels" setting). Defaults to True.

        Returns:
            dict[str, Tensor]: ``loss_cls`` (if asked), the ``loss_decode``
            losses (``loss_ce`` by default) and ``acc_seg``.
        """
        labels = self.image_labels(batch_data_samples).to(inputs[0].device)
        losses = dict(loss_cls=self.cls_loss(inputs, labels)) \
            if with_cls_loss else dict()
        seg = self._stack_batch_gt(batch_data_samples)
        valid = valid_region_mask(batch_data_samples, seg.shape[2:],
                                  seg.device)
        losses.update(
            self.loss_by_feat(
                self.forward(inputs, labels, valid), batch_data_samples))
        return losses

    def cls_loss(self, inputs: Sequence[Tensor],
                 image_labels: Tensor) -> Tensor:
        """Weighted sigmoid BCE of :meth:`classify`, mean over B x F.

        Args:
            inputs (list[Tensor]): Backbone outputs (train mode).
            image_labels (Tensor): (B, F) binary targets.
        """
        logits = self.classify(inputs)
        return self.cls_loss_weight * F.binary_cross_entropy_with_logits(
            logits, image_labels.to(logits))

    def image_labels(self, data_samples: SampleList) -> Tensor:
        """(B, F) float image labels of labeled samples: the given ones
        (:meth:`given_image_labels`) or those of ``gt_sem_seg``."""
        given = self.given_image_labels(data_samples)
        if given is not None:
            return given
        seg = self._stack_batch_gt(data_samples)
        return image_labels_from_seg(seg, self.num_classes, self.ignore_index)

    def given_image_labels(self,
                           data_samples: SampleList) -> Optional[Tensor]:
        """(B, F) float ``gt_image_labels`` of the samples, or None unless
        every sample has them."""
        if not data_samples or \
                not all('gt_image_labels' in s for s in data_samples):
            return None
        labels = [
            torch.as_tensor(s.gt_image_labels).float().reshape(-1)
            for s in data_samples
        ]
        for s, label in zip(data_samples, labels):
            if label.numel() != self.num_classes - 1:
                raise ValueError(
                    f'gt_image_labels of {s.metainfo.get("img_path")} have '
                    f'{label.numel()} classes, but SGCHead.num_classes - 1 '
                    f'= {self.num_classes - 1} foreground classes are '
                    'expected')
        return torch.stack(labels)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, version={self.version}, '
                f'key_channels={self.key_channels}')
