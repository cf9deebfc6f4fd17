"""The base of the semi-supervised segmentors (PseudoSeg, UniMatch).

Modelled on mmdet 3.x's ``SemiBaseDetector``: one wrapped mmseg
``EncoderDecoder``, a batch of named branches (``sup`` and the unlabeled
views) preprocessed branch by branch, and a ``loss()`` skeleton of three
named steps that a method fills in. Everything that does not depend on the
method lives here once: the multi-branch preprocessor, the segmentor's own
supervised losses, valid-region masks, the unsupervised ramp factor
(``set_unsup_scale``), pseudo-label statistics for
:class:`PseudoLabelFusionHook`, prediction through the wrapped segmentor and
loading of stock segmentor checkpoints.
"""
import copy
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.segmentors import BaseSegmentor, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ..utils.masks import valid_region_mask
from ..utils.pl_quality import confusion_counts, image_label_counts

_MULTI_BRANCH = 'MultiBranchSegDataPreProcessor'


@contextmanager
def eval_mode(*modules: Optional[nn.Module]) -> Iterator[None]:
    """Put modules in eval mode (BN running statistics, no dropout) and
    restore each one's mode afterwards."""
    modules = [m for m in modules if m is not None]
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def rename_loss_dict(prefix: str, losses: Dict[str, Tensor]) -> Dict:
    """Return a new dict with every key prefixed."""
    return {f'{prefix}{k}': v for k, v in losses.items()}


def reweight_loss_dict(losses: Dict[str, Tensor], weight: float) -> Dict:
    """Return a new dict with the entries whose key contains ``loss``
    (those mmengine sums into the total) multiplied by ``weight``."""
    return {k: v * weight if 'loss' in k else v for k, v in losses.items()}


def multi_branch_preprocessor(given: OptConfigType,
                              inner: OptConfigType,
                              owner: str = 'PseudoSeg') -> dict:
    """Choose the preprocessor config and wrap it for several branches.

    The segmentor's own preprocessor (``inner``) wins over a plain one given
    to the semi-supervised model: mmengine's Runner fills
    ``model.data_preprocessor`` from the top-level ``data_preprocessor``
    variable of mmseg's _base_ model file, which lacks the crop size that
    configs set on the segmentor. An explicit
    ``MultiBranchSegDataPreProcessor`` is used as it is.
    """
    if given is not None and given.get('type') == _MULTI_BRANCH:
        return given
    chosen = inner if inner is not None else given
    if chosen is None:
        raise ValueError(f'{owner} needs a data_preprocessor: set '
                         'model.data_preprocessor or '
                         'model.segmentor.data_preprocessor')
    return dict(type=_MULTI_BRANCH, data_preprocessor=chosen)


class SemiBaseSegmentor(BaseSegmentor):
    """Base of the semi-supervised segmentors around an ``EncoderDecoder``.

    A training batch is ``dict(inputs=dict(sup=T, <view>=T, ...),
    data_samples=dict(sup=[...], <view>=[...], ...))`` (one branch per
    labeled batch and unlabeled view, from :class:`MixedDataset`), and
    :meth:`loss` runs the same three steps for every method:

    1. :meth:`loss_by_gt_labels`: losses on the labeled batch (``sup_*``);
    2. :meth:`get_pseudo_labels`: targets from the unlabeled views, which
       carry no gradient, plus any loss or diagnostic of that step
       (``unsup_*``);
    3. :meth:`loss_by_pseudo_labels`: losses against those targets
       (``unsup_*``).

    Steps hand intermediate results (features, logits of a shared forward)
    to later ones through ``ctx``, a dict that lives for one call of
    :meth:`loss`. A subclass sets ``branches`` and implements the steps.

    Args:
        segmentor (dict): Config of an ``EncoderDecoder`` (or subclass).
        data_preprocessor (dict, optional): Preprocessor config. Unless it
            is a ``MultiBranchSegDataPreProcessor``, the segmentor's own
            ``data_preprocessor`` (if set) takes precedence; the plain one
            is wrapped in ``MultiBranchSegDataPreProcessor``.
        init_cfg (dict, optional): Initialization config.
        pretrained (str, optional): As ``EncoderDecoder``'s; passed to the
            wrapped segmentor when set (mmseg's ``init_model`` sets None).
        train_cfg (dict, optional): As ``EncoderDecoder``'s; passed to the
            wrapped segmentor when set (``init_model`` sets None).
    """

    #: Branches every training batch must have.
    branches: Tuple[str, ...] = ('sup', )

    def __init__(self,
                 segmentor: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None) -> None:
        name = type(self).__name__
        segmentor = copy.deepcopy(segmentor)
        for key, value in (('pretrained', pretrained),
                           ('train_cfg', train_cfg)):
            if value is not None:
                segmentor[key] = value
        super().__init__(
            data_preprocessor=multi_branch_preprocessor(
                data_preprocessor, segmentor.pop('data_preprocessor', None),
                name),
            init_cfg=init_cfg)
        self.segmentor = MODELS.build(segmentor)
        if not isinstance(self.segmentor, EncoderDecoder):
            raise TypeError(f'{name}.segmentor must build an EncoderDecoder'
                            f', got {type(self.segmentor).__name__}')
        # Set by PseudoLabelFusionHook (ramp-up); 1.0 without the hook.
        self.unsup_scale = 1.0
        self._pl_stats: Dict[str, Tensor] = {}

    # ------------------------------------------------------------------
    # Small API used by PseudoLabelFusionHook.
    @property
    def num_classes(self) -> int:
        """int: K, classes of the decode head including background."""
        return self.segmentor.decode_head.num_classes

    @property
    def ignore_index(self) -> int:
        """int: The decode head's ignore index (255 in mmseg)."""
        return self.segmentor.decode_head.ignore_index

    def set_unsup_scale(self, scale: float) -> None:
        """Set the ramp factor in [0, 1] applied to the unsupervised
        losses."""
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f'unsup scale must be in [0, 1], got {scale}')
        self.unsup_scale = float(scale)

    def pseudo_label_stats(self) -> Dict[str, Tensor]:
        """Detached statistics of the last batch of pseudo labels.

        Returns:
            dict[str, Tensor]: ``class_hist`` (K,) pixel counts of kept
            pseudo labels per class, ``conf_sum`` and ``valid_pixels`` over
            kept pixels, ``total_pixels`` (pixels the loss is normalised
            by). Empty before the first step.
        """
        return dict(self._pl_stats)

    def record_pseudo_label_stats(self, labels: Tensor, conf: Tensor,
                                  keep: Tensor, region: Tensor) -> None:
        """Keep the statistics :meth:`pseudo_label_stats` returns.

        Args:
            labels (Tensor): (B, H, W) hard pseudo labels.
            conf (Tensor): (B, H, W) their confidences.
            keep (Tensor): (B, H, W) bool, pixels the loss uses.
            region (Tensor): (B, H, W) bool, pixels it is normalised by.
        """
        self._pl_stats = dict(
            class_hist=torch.bincount(
                labels[keep], minlength=self.num_classes).float(),
            conf_sum=conf[keep].sum(),
            valid_pixels=keep.sum().float(),
            total_pixels=region.sum().float())

    def record_pseudo_label_quality(
            self,
            predictions: Dict[str, Tensor],
            data_samples: SampleList,
            region: Tensor,
            image_labels: Optional[Tensor] = None) -> None:
        """Add per-class quality counts of the pseudo-label sources to the
        statistics, where every unlabeled sample carries ``gt_sem_seg``
        (benchmarks load it for diagnostics; no loss sees it). Call after
        :meth:`record_pseudo_label_stats`.

        Args:
            predictions (dict[str, Tensor]): Source name -> (B, H, W)
                classes; each adds ``quality_<name>``, its (K, K)
                confusion counts over ``region``.
            data_samples (list[SegDataSample]): The unlabeled samples.
            region (Tensor): (B, H, W) bool, the pixels counted.
            image_labels (Tensor, optional): (B, K - 1) predicted image
                labels; adds ``image_label_counts`` (true/false positives,
                false negatives per class against the classes the label
                map shows in ``region``).
        """
        if not data_samples or \
                not all('gt_sem_seg' in s for s in data_samples):
            return
        gt = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        for name, pred in predictions.items():
            self._pl_stats[f'quality_{name}'] = confusion_counts(
                pred, gt, region, self.num_classes)
        if image_labels is not None:
            self._pl_stats['image_label_counts'] = image_label_counts(
                image_labels, gt, region, self.num_classes)

    # ------------------------------------------------------------------
    # Training: the skeleton and the steps a method implements.
    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """Supervised losses, pseudo labels, unsupervised losses.

        Args:
            inputs (dict[str, Tensor]): One (B, 3, H, W) batch per branch.
            data_samples (dict[str, list[SegDataSample]]): Same keys.

        Returns:
            dict[str, Tensor]: ``sup_*`` and ``unsup_*`` losses and
            diagnostics (diagnostics have no ``loss`` in their key).
        """
        self.check_branches(inputs)
        ctx: dict = {}
        losses = rename_loss_dict(
            'sup_', self.loss_by_gt_labels(inputs, data_samples, ctx))
        pseudo, extra = self.get_pseudo_labels(inputs, data_samples, ctx)
        losses.update(rename_loss_dict('unsup_', extra))
        losses.update(
            rename_loss_dict(
                'unsup_',
                self.loss_by_pseudo_labels(inputs, data_samples, pseudo,
                                           ctx)))
        return losses

    def check_branches(self, inputs: Dict[str, Tensor]) -> None:
        """Raise a clear error when the batch lacks a required branch."""
        if not isinstance(inputs, dict):
            raise TypeError(
                f'{type(self).__name__}.loss needs a batch of named '
                f'branches {self.branches}, got {type(inputs).__name__}; '
                'train it with MixedDataset')
        missing = set(self.branches) - set(inputs)
        if missing:
            raise KeyError(f'{type(self).__name__}.loss: batch lacks '
                           f'branches {sorted(missing)}; train it with '
                           'MixedDataset')

    def loss_by_gt_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Dict[str, Tensor]:
        """Step 1: losses on the labeled batch (keys get ``sup_``)."""
        raise NotImplementedError

    def get_pseudo_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Tuple[dict, Dict[str, Tensor]]:
        """Step 2: pseudo labels (no gradient) and the step's own losses
        and diagnostics (keys get ``unsup_``)."""
        raise NotImplementedError

    def loss_by_pseudo_labels(self, inputs: Dict[str, Tensor],
                              data_samples: Dict[str, SampleList],
                              pseudo: dict, ctx: dict) -> Dict[str, Tensor]:
        """Step 3: losses against the pseudo labels (keys get
        ``unsup_``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------
    # Helpers shared by the methods.
    def segmentor_losses(self, feats: Sequence[Tensor],
                         data_samples: SampleList) -> Dict[str, Tensor]:
        """The wrapped segmentor's decode (and auxiliary) losses on
        features of a labeled batch, keys as mmseg's (``decode.*``,
        ``aux.*``)."""
        seg = self.segmentor
        losses = seg._decode_head_forward_train(feats, data_samples)
        if seg.with_auxiliary_head:
            losses.update(
                seg._auxiliary_head_forward_train(feats, data_samples))
        return losses

    @staticmethod
    def valid_region(data_samples: SampleList,
                     inputs: Tensor,
                     exclude_cutout: bool = True) -> Tensor:
        """(B, H, W) bool: inside each unpadded image (and outside its
        CutOut box); see :func:`valid_region_mask`."""
        return valid_region_mask(data_samples, inputs.shape[2:],
                                 inputs.device, exclude_cutout)

    def _resize(self,
                x: Tensor,
                size,
                align_corners: Optional[bool] = None) -> Tensor:
        """Bilinear resize of (B, C, h, w) maps, by default as the decode
        head resizes its logits."""
        if tuple(x.shape[2:]) == tuple(size):
            return x
        if align_corners is None:
            align_corners = self.segmentor.decode_head.align_corners
        return F.interpolate(
            x, size=size, mode='bilinear', align_corners=align_corners)

    # ------------------------------------------------------------------
    # Inference: the wrapped segmentor.
    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict with the wrapped segmentor (see ``EncoderDecoder``)."""
        return self.segmentor.predict(inputs, data_samples)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Raw decoder output of the wrapped segmentor."""
        return self.segmentor._forward(inputs, data_samples)

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Backbone (and neck) features of the wrapped segmentor."""
        return self.segmentor.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Logits at input size from the wrapped segmentor."""
        return self.segmentor.encode_decode(inputs, batch_img_metas)

    # ------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        """Accept stock checkpoints of the wrapped segmentor.

        Keys of a plain ``EncoderDecoder`` (``backbone.*``,
        ``decode_head.*``, ...) are moved under ``segmentor.`` in place
        before the children read them; keys of this model's own children
        (its extra heads, losses, preprocessor) pass through.
        """
        inner = prefix + 'segmentor.'
        if not any(key.startswith(inner) for key in state_dict):
            own = tuple(prefix + name + '.' for name in self._modules
                        if name != 'segmentor')
            for key in [
                    k for k in state_dict
                    if k.startswith(prefix) and not k.startswith(own)
            ]:
                state_dict[inner + key[len(prefix):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
