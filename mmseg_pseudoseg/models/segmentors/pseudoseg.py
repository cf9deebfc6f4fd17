"""PseudoSeg: semi-supervised wrapper around an mmseg EncoderDecoder."""
import copy
from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.segmentors import BaseSegmentor, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ..utils.fusion import calibrated_fusion

_MULTI_BRANCH = 'MultiBranchSegDataPreProcessor'


@contextmanager
def _running_stats_frozen(module: nn.Module, frozen: bool) -> Iterator[None]:
    """Normalise with batch statistics, but leave running statistics as
    they are (momentum 0) for the BatchNorm layers of ``module``."""
    norms = [
        m for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and
        m.track_running_stats
    ] if frozen else []
    saved = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in zip(norms, saved):
            m.momentum = momentum


def _prefixed(losses: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """Return a new dict with every key prefixed."""
    return {f'{prefix}{k}': v for k, v in losses.items()}


def _multi_branch_preprocessor(given: OptConfigType,
                               inner: OptConfigType) -> dict:
    """Choose the preprocessor config and wrap it for several branches.

    The segmentor's own preprocessor (``inner``) wins over a plain one given
    to PseudoSeg: mmengine's Runner fills ``model.data_preprocessor`` from
    the top-level ``data_preprocessor`` variable of mmseg's _base_ model
    file, which lacks the crop size that configs set on the segmentor. An
    explicit ``MultiBranchSegDataPreProcessor`` is used as it is.
    """
    if given is not None and given.get('type') == _MULTI_BRANCH:
        return given
    chosen = inner if inner is not None else given
    if chosen is None:
        raise ValueError('PseudoSeg needs a data_preprocessor: set '
                         'model.data_preprocessor or '
                         'model.segmentor.data_preprocessor')
    return dict(type=_MULTI_BRANCH, data_preprocessor=chosen)


@MODELS.register_module()
class PseudoSeg(BaseSegmentor):
    """PseudoSeg semi-supervised segmentor.

    From `PseudoSeg: Designing Pseudo Labels for Semantic Segmentation
    <https://arxiv.org/abs/2010.09713>`_ (Zou et al., ICLR 2021). Wraps a
    standard mmseg ``EncoderDecoder`` (DeepLabV3+ in our configs) and adds a
    :class:`CAMHead`. One training step:

    1. supervised: the segmentor's own losses plus the CAM classification
       loss on the labeled batch (keys ``sup_*``);
    2. pseudo labels: decoder logits and SGC scores of the weak view, fused
       by :func:`calibrated_fusion`, without gradient into the network;
    3. unsupervised: cross-entropy of the strong view (same geometry)
       against those pseudo labels (keys ``unsup_*``).

    Prediction is exactly the wrapped segmentor's, and a stock mmseg
    checkpoint of that segmentor loads into this model (the CAM head then
    starts from its initialisation).

    Args:
        segmentor (dict): Config of an ``EncoderDecoder`` (or subclass).
        cam_head (dict, optional): Config of the SGC head. None gives the
            decoder-only pseudo-label ablation.
        data_preprocessor (dict, optional): Preprocessor config. Unless it
            is a ``MultiBranchSegDataPreProcessor``, the segmentor's own
            ``data_preprocessor`` (if set) takes precedence; the plain one
            is wrapped in ``MultiBranchSegDataPreProcessor``.
        unsup_weight (float): Weight of the unsupervised loss (the paper's
            lambda). Defaults to 1.0.
        temperature (float): Sharpening temperature T. Defaults to 0.5.
        confidence_threshold (float): Pixels whose fused confidence is below
            this are left out of the unsupervised loss. Defaults to 0.0
            (keep all; the soft targets already encode confidence).
        unsup_loss (dict): Config of the unsupervised loss.
            Defaults to ``dict(type='SoftCrossEntropyLoss')``.
        strong_updates_bn_stats (bool): Whether the strong view's forward
            updates BatchNorm running statistics. Defaults to False: the
            strong colour operations shift the input statistics, and
            running statistics averaged over them degraded evaluation
            badly in our toy runs (see README). The strong forward still
            normalises with its own batch statistics.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 cam_head: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 unsup_weight: float = 1.0,
                 temperature: float = 0.5,
                 confidence_threshold: float = 0.0,
                 unsup_loss: ConfigType = dict(type='SoftCrossEntropyLoss'),
                 strong_updates_bn_stats: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        if unsup_weight < 0:
            raise ValueError(
                f'PseudoSeg.unsup_weight must be >= 0, got {unsup_weight}')
        if temperature <= 0:
            raise ValueError(
                f'PseudoSeg.temperature must be > 0, got {temperature}')
        if not 0.0 <= confidence_threshold < 1.0:
            raise ValueError('PseudoSeg.confidence_threshold must be in '
                             f'[0, 1), got {confidence_threshold}')
        segmentor = copy.deepcopy(segmentor)
        super().__init__(
            data_preprocessor=_multi_branch_preprocessor(
                data_preprocessor, segmentor.pop('data_preprocessor', None)),
            init_cfg=init_cfg)

        self.segmentor = MODELS.build(segmentor)
        if not isinstance(self.segmentor, EncoderDecoder):
            raise TypeError('PseudoSeg.segmentor must build an EncoderDecoder'
                            f', got {type(self.segmentor).__name__}')
        # Forked RNG: building the heads leaves the random state as it was,
        # so init_weights gives the segmentor exactly the initialisation a
        # plain EncoderDecoder gets from the same seed (paired baselines).
        with torch.random.fork_rng(devices=[]):
            self.cam_head = MODELS.build(cam_head) if cam_head else None
            self.unsup_loss = MODELS.build(unsup_loss)
        if self.cam_head is not None and \
                self.cam_head.num_classes != self.num_classes:
            raise ValueError(
                f'PseudoSeg.cam_head.num_classes ({self.cam_head.num_classes})'
                ' must equal the decode head num_classes '
                f'({self.num_classes})')
        self.unsup_weight = float(unsup_weight)
        self.temperature = float(temperature)
        self.confidence_threshold = float(confidence_threshold)
        self.strong_updates_bn_stats = bool(strong_updates_bn_stats)
        # Set by PseudoLabelFusionHook (ramp-up); 1.0 without the hook.
        self.unsup_scale = 1.0
        self._pl_stats: Dict[str, Tensor] = {}

    # ------------------------------------------------------------------
    # Small API used by PseudoLabelFusionHook.
    @property
    def num_classes(self) -> int:
        """int: K, classes of the decode head including background."""
        return self.segmentor.decode_head.num_classes

    def set_unsup_scale(self, scale: float) -> None:
        """Set the ramp factor in [0, 1] applied to ``unsup_weight``."""
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f'unsup scale must be in [0, 1], got {scale}')
        self.unsup_scale = float(scale)

    def pseudo_label_stats(self) -> Dict[str, Tensor]:
        """Detached statistics of the last batch of pseudo labels.

        Returns:
            dict[str, Tensor]: ``class_hist`` (K,) pixel counts of valid
            pseudo labels per class, ``conf_sum`` and ``valid_pixels``,
            ``total_pixels`` (scalars). Empty before the first step.
        """
        return dict(self._pl_stats)

    # ------------------------------------------------------------------
    # Training.
    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """Supervised loss, pseudo labels from the weak view, unsupervised
        loss on the strong view.

        Args:
            inputs (dict[str, Tensor]): ``sup``, ``weak``, ``strong``
                batches, each (B, 3, H, W).
            data_samples (dict[str, list[SegDataSample]]): Same keys.

        Returns:
            dict[str, Tensor]: ``sup_*`` and ``unsup_*`` losses and
            diagnostics (diagnostics have no ``loss`` in their key).
        """
        missing = {'sup', 'weak', 'strong'} - set(inputs)
        if missing:
            raise KeyError(f'PseudoSeg.loss: batch lacks branches '
                           f'{sorted(missing)}; train it with MixedDataset')
        losses = _prefixed(
            self.supervised_loss(inputs['sup'], data_samples['sup']), 'sup_')
        probs, valid, diagnostics = self.pseudo_labels(
            inputs['weak'], data_samples['weak'])
        losses.update(_prefixed(diagnostics, 'unsup_'))
        losses.update(
            _prefixed(
                self.unsupervised_loss(inputs['strong'], probs, valid),
                'unsup_'))
        return losses

    def supervised_loss(self, inputs: Tensor,
                        data_samples: SampleList) -> Dict[str, Tensor]:
        """Segmentor losses and CAM loss from one backbone pass."""
        seg = self.segmentor
        x = seg.extract_feat(inputs)
        losses = seg._decode_head_forward_train(x, data_samples)
        if seg.with_auxiliary_head:
            losses.update(seg._auxiliary_head_forward_train(x, data_samples))
        if self.cam_head is not None:
            losses.update(
                _prefixed(self.cam_head.loss(x, data_samples), 'cam.'))
        return losses

    @torch.no_grad()
    def pseudo_labels(
            self, inputs: Tensor, data_samples: SampleList
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Calibrated pseudo labels of the weak view (no gradient).

        Args:
            inputs (Tensor): Weak view, (B, 3, H, W).
            data_samples (list[SegDataSample]): Their metainfo
                (``img_shape`` marks the unpadded region); ``gt_sem_seg``,
                if present, is used only for the accuracy diagnostics.

        Returns:
            tuple: probabilities (B, K, H, W), valid mask (B, H, W) and a
            dict of detached diagnostics.
        """
        x = self.segmentor.extract_feat(inputs)
        decode_head = self.segmentor.decode_head
        seg_logits = decode_head.forward(x)
        cam = None
        if self.cam_head is not None:
            cam = self._resize(self.cam_head.sgc(x), seg_logits.shape[2:])
        probs = self._resize(
            calibrated_fusion(seg_logits, cam, self.temperature),
            inputs.shape[2:])
        conf, labels = probs.max(dim=1)
        in_image = self._image_region(inputs, data_samples)
        valid = in_image & (conf >= self.confidence_threshold)

        self._pl_stats = dict(
            class_hist=torch.bincount(
                labels[valid], minlength=self.num_classes).float(),
            conf_sum=conf[valid].sum(),
            valid_pixels=valid.sum().float(),
            total_pixels=in_image.sum().float())
        n_in_image = in_image.sum().clamp_min(1)
        diagnostics = dict(
            pl_conf=conf[in_image].sum() / n_in_image,
            pl_valid_ratio=valid.sum() / n_in_image)
        if all('gt_sem_seg' in s for s in data_samples):
            decoder_labels = self._resize(seg_logits,
                                          inputs.shape[2:]).argmax(dim=1)
            diagnostics.update(
                self._accuracies(
                    data_samples,
                    in_image,
                    pl_acc=labels,
                    pl_acc_decoder=decoder_labels))
        return probs, valid, {k: v.float() for k, v in diagnostics.items()}

    def _accuracies(self, data_samples: SampleList, region: Tensor,
                    **predictions: Tensor) -> Dict[str, Tensor]:
        """Pixel accuracy of each named (B, H, W) prediction against
        ``gt_sem_seg`` over ``region`` minus ignored pixels. Labels of
        unlabeled images serve only this diagnostic, never a loss."""
        gt = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        known = region & (gt != self.segmentor.decode_head.ignore_index)
        n_known = known.sum().clamp_min(1)
        return {
            name: ((pred == gt) & known).sum() / n_known
            for name, pred in predictions.items()
        }

    def _resize(self, x: Tensor, size) -> Tensor:
        """Bilinear resize of (B, C, h, w) maps, as the decode head does."""
        return F.interpolate(
            x,
            size=size,
            mode='bilinear',
            align_corners=self.segmentor.decode_head.align_corners)

    def unsupervised_loss(self, inputs: Tensor, probs: Tensor,
                          valid: Tensor) -> Dict[str, Tensor]:
        """Weighted loss of the strong view against the pseudo labels."""
        with _running_stats_frozen(self.segmentor,
                                   not self.strong_updates_bn_stats):
            logits = self.segmentor.decode_head.forward(
                self.segmentor.extract_feat(inputs))
        logits = self._resize(logits, inputs.shape[2:])
        weight = self.unsup_weight * self.unsup_scale
        return dict(
            loss_ce=weight * self.unsup_loss(logits, probs, valid),
            weight=logits.new_tensor(weight))

    @staticmethod
    def _image_region(inputs: Tensor, data_samples: SampleList) -> Tensor:
        """(B, H, W) mask of the unpadded image area of each sample."""
        mask = torch.zeros((inputs.shape[0], ) + inputs.shape[2:],
                           dtype=torch.bool,
                           device=inputs.device)
        for i, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[2:])
            mask[i, :h, :w] = True
        return mask

    # ------------------------------------------------------------------
    # Inference: exactly the wrapped segmentor.
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
        before the children read them; PseudoSeg checkpoints pass through.
        """
        inner = prefix + 'segmentor.'
        if not any(key.startswith(inner) for key in state_dict):
            own = (prefix + 'cam_head.', prefix + 'data_preprocessor.',
                   prefix + 'unsup_loss.')
            for key in [
                    k for k in state_dict
                    if k.startswith(prefix) and not k.startswith(own)
            ]:
                state_dict[inner + key[len(prefix):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
