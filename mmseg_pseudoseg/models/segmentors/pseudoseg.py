"""PseudoSeg: semi-supervised wrapper around an mmseg EncoderDecoder."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ...utils.model_checks import check_head_channels
from ..utils.fusion import calibrated_fusion
from .semi_base import (SemiBaseSegmentor, eval_mode,
                        multi_branch_preprocessor, rename_loss_dict)

PSEUDO_SOURCES = ('fused', 'sgc', 'decoder')
TEST_HEADS = ('decode_head', 'sgc_head')
# The names other modules of the package import from here.
_eval_mode = eval_mode
_multi_branch_preprocessor = multi_branch_preprocessor


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


@MODELS.register_module()
class PseudoSeg(SemiBaseSegmentor):
    """PseudoSeg semi-supervised segmentor.

    From `PseudoSeg: Designing Pseudo Labels for Semantic Segmentation
    <https://arxiv.org/abs/2010.09713>`_ (Zou et al., ICLR 2021), as the
    authors' release trains it. Wraps a standard mmseg ``EncoderDecoder``
    and adds an :class:`SGCHead`. One step, one shared backbone:

    1. labeled batch, train mode: the segmentor's decode/auxiliary losses,
       the classifier's BCE and the SGC head's CE (keys ``sup_*``);
    2. weak view, train mode, no gradient: decoder logits ``m``;
    3. weak view, **inference mode** (BN running statistics, no dropout),
       no gradient: classifier -> image labels ``sigmoid >= 0.5`` ->
       Grad-CAM -> SGC logits ``s`` (the SGC output BN in train mode, as in
       the release); attention masked by the strong view's valid region;
    4. pseudo labels ``calibrated_fusion(m, s, T)`` (one scale for the
       whole batch), soft targets;
    5. strong view, train mode: soft cross-entropy against them over the
       pixels inside the image and outside the CutOut box, divided by
       their number (keys ``unsup_*``).

    Steps 1, 2-4 and 5 are the three steps of
    :class:`SemiBaseSegmentor`; batches have the branches ``sup``, ``weak``
    and ``strong``. Prediction is the wrapped segmentor's (or the SGC
    head's, with ``test_head='sgc_head'``), and a stock mmseg checkpoint of
    that segmentor loads into this model.

    Args:
        segmentor (dict): Config of an ``EncoderDecoder`` (or subclass).
        sgc_head (dict, optional): Config of the :class:`SGCHead`. None
            (only with ``pseudo_src='decoder'``) drops the classifier and
            SGC losses too.
        data_preprocessor (dict, optional): Preprocessor config. Unless it
            is a ``MultiBranchSegDataPreProcessor``, the segmentor's own
            ``data_preprocessor`` (if set) takes precedence; the plain one
            is wrapped in ``MultiBranchSegDataPreProcessor``.
        unsup_weight (float): Weight of the consistency loss. Defaults to
            1.0 (the release's).
        temperature (float): Sharpening temperature T. Defaults to 0.5.
        calibrate (bool): Divide both sources by their joint RMS before the
            softmax. False is the release's "no logit norm" ablation.
            Defaults to True.
        pseudo_src (str): 'fused' (the method), 'sgc' (SGC logits alone)
            or 'decoder' (decoder logits alone); single sources are
            softmaxed and sharpened without scaling, as in the release.
            Defaults to 'fused'.
        confidence_threshold (float): Pixels whose pseudo-label confidence
            is below it are left out of the consistency loss (its
            normaliser stays the number of valid pixels, as in the
            release). Defaults to 0.0 (none).
        unsup_loss (dict): Config of the consistency loss; hard targets are
            ``dict(type='SoftCrossEntropyLoss', use_hard_labels=True)``.
            Defaults to soft targets.
        weak_inference_pass (bool): Run the weak view through the backbone
            a second time in inference mode for the classifier and SGC
            (pass 3). False reuses the train-mode features of pass 2: one
            backbone forward cheaper, not the method. Defaults to True.
        strong_updates_bn_stats (bool): Whether the strong view's forward
            updates BatchNorm running statistics, as every train-mode pass
            of the release does. Defaults to True.
        cls_on_unlabeled (bool): The "with image-level labels" setting: the
            classifier trains on the weak view of the unlabeled set with its
            given ``gt_image_labels`` (``LoadImageLevelLabels``) instead of
            on the labeled batch, and Grad-CAM of the weak view uses those
            labels. Defaults to False.
        test_head (str): 'decode_head' (the segmentor's predictions) or
            'sgc_head' (the SGC head's, to evaluate it on its own).
            Defaults to 'decode_head'.
        init_cfg (dict, optional): Initialization config.
        pretrained (str, optional): As ``EncoderDecoder``'s; passed to the
            wrapped segmentor when set (mmseg's ``init_model`` sets None).
        train_cfg (dict, optional): As ``EncoderDecoder``'s; passed to the
            wrapped segmentor when set (``init_model`` sets None).
    """

    branches = ('sup', 'weak', 'strong')

    def __init__(self,
                 segmentor: ConfigType,
                 sgc_head: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 unsup_weight: float = 1.0,
                 temperature: float = 0.5,
                 calibrate: bool = True,
                 pseudo_src: str = 'fused',
                 confidence_threshold: float = 0.0,
                 unsup_loss: ConfigType = dict(type='SoftCrossEntropyLoss'),
                 weak_inference_pass: bool = True,
                 strong_updates_bn_stats: bool = True,
                 cls_on_unlabeled: bool = False,
                 test_head: str = 'decode_head',
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None) -> None:
        self._check_args(unsup_weight, temperature, pseudo_src,
                         confidence_threshold, test_head, sgc_head)
        super().__init__(
            segmentor=segmentor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            pretrained=pretrained,
            train_cfg=train_cfg)
        # Forked RNG: building the heads leaves the random state as it was,
        # so init_weights gives the segmentor exactly the initialisation a
        # plain EncoderDecoder gets from the same seed (paired baselines).
        with torch.random.fork_rng(devices=[]):
            self.sgc_head = MODELS.build(sgc_head) if sgc_head else None
            self.unsup_loss = MODELS.build(unsup_loss)
        # Heads' in_channels against the backbone's outputs, now rather
        # than at the first forward (one tiny eval-mode probe).
        check_head_channels(self.segmentor, {'model.sgc_head': self.sgc_head})
        if self.sgc_head is not None and \
                self.sgc_head.num_classes != self.num_classes:
            raise ValueError(
                f'PseudoSeg.sgc_head.num_classes ({self.sgc_head.num_classes})'
                ' must equal model.segmentor.decode_head.num_classes '
                f'({self.num_classes})')
        self.unsup_weight = float(unsup_weight)
        self.temperature = float(temperature)
        self.calibrate = bool(calibrate)
        self.pseudo_src = pseudo_src
        self.confidence_threshold = float(confidence_threshold)
        self.weak_inference_pass = bool(weak_inference_pass)
        self.strong_updates_bn_stats = bool(strong_updates_bn_stats)
        self.cls_on_unlabeled = bool(cls_on_unlabeled)
        if self.cls_on_unlabeled and self.sgc_head is None:
            raise ValueError('PseudoSeg.cls_on_unlabeled trains the SGC '
                             "head's classifier: set model.sgc_head")
        self.test_head = test_head

    @staticmethod
    def _check_args(unsup_weight, temperature, pseudo_src,
                    confidence_threshold, test_head, sgc_head) -> None:
        if unsup_weight < 0:
            raise ValueError(
                f'PseudoSeg.unsup_weight must be >= 0, got {unsup_weight}')
        if temperature <= 0:
            raise ValueError(
                f'PseudoSeg.temperature must be > 0, got {temperature}')
        if not 0.0 <= confidence_threshold < 1.0:
            raise ValueError('PseudoSeg.confidence_threshold must be in '
                             f'[0, 1), got {confidence_threshold}')
        if pseudo_src not in PSEUDO_SOURCES:
            raise ValueError(f'PseudoSeg.pseudo_src must be one of '
                             f'{PSEUDO_SOURCES}, got {pseudo_src!r}')
        if test_head not in TEST_HEADS:
            raise ValueError(f'PseudoSeg.test_head must be one of '
                             f'{TEST_HEADS}, got {test_head!r}')
        if not sgc_head and (pseudo_src != 'decoder'
                             or test_head == 'sgc_head'):
            raise ValueError(
                f'PseudoSeg.sgc_head is None, which needs pseudo_src='
                f"'decoder' and test_head='decode_head' (got pseudo_src="
                f'{pseudo_src!r}, test_head={test_head!r})')

    # ------------------------------------------------------------------
    # Training.
    def loss_by_gt_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Dict[str, Tensor]:
        """Step 1: :meth:`supervised_loss` of the ``sup`` branch."""
        return self.supervised_loss(inputs['sup'], data_samples['sup'])

    def get_pseudo_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Tuple[dict, Dict[str, Tensor]]:
        """Step 2: :meth:`pseudo_labels` of the ``weak`` branch.

        Returns:
            tuple: ``dict(probs, keep, region)`` for step 3 and the
            diagnostics (with ``cls_on_unlabeled`` first the classifier's
            loss on the weak view, ``sgc.loss_cls``).
        """
        extra, weak_feats = {}, None
        if self.cls_on_unlabeled:
            # Pass 2 with gradient: the classifier's BCE on the image-labeled
            # weak view; its features also give the decoder logits.
            weak_feats = self.segmentor.extract_feat(inputs['weak'])
            extra['sgc.loss_cls'] = self.sgc_head.cls_loss(
                weak_feats, self._given_image_labels(data_samples['weak']))
            weak_feats = [x.detach() for x in weak_feats]
        # In the image, outside the strong view's CutOut box.
        region = self.valid_region(data_samples['strong'], inputs['strong'])
        probs, keep, diagnostics = self.pseudo_labels(
            inputs['weak'], data_samples['weak'], region, weak_feats)
        extra.update(diagnostics)
        return dict(probs=probs, keep=keep, region=region), extra

    def loss_by_pseudo_labels(self, inputs: Dict[str, Tensor],
                              data_samples: Dict[str, SampleList],
                              pseudo: dict, ctx: dict) -> Dict[str, Tensor]:
        """Step 5: :meth:`unsupervised_loss` of the ``strong`` branch."""
        return self.unsupervised_loss(inputs['strong'], pseudo['probs'],
                                      pseudo['keep'], pseudo['region'])

    def supervised_loss(self, inputs: Tensor,
                        data_samples: SampleList) -> Dict[str, Tensor]:
        """Segmentor, classifier and SGC losses from one backbone pass."""
        seg = self.segmentor
        x = seg.extract_feat(inputs)
        losses = self.segmentor_losses(x, data_samples)
        if self.sgc_head is not None:
            sgc_losses = self.sgc_head.loss(
                x,
                data_samples,
                seg.train_cfg,
                with_cls_loss=not self.cls_on_unlabeled)
            losses.update(rename_loss_dict('sgc.', sgc_losses))
        return losses

    def _given_image_labels(self, data_samples: SampleList) -> Tensor:
        """The unlabeled samples' ``gt_image_labels``, or a clear error."""
        labels = self.sgc_head.given_image_labels(data_samples)
        if labels is None:
            raise ValueError(
                'PseudoSeg.cls_on_unlabeled needs gt_image_labels on every '
                'unlabeled sample: add LoadImageLevelLabels to the unlabeled '
                f'pipeline ({data_samples[0].metainfo.get("img_path")} has '
                'none)')
        return labels

    @torch.no_grad()
    def pseudo_labels(
        self,
        inputs: Tensor,
        data_samples: SampleList,
        region: Tensor,
        feats: Optional[List[Tensor]] = None
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Pseudo labels of the weak view (no gradient).

        Args:
            inputs (Tensor): Weak view, (B, 3, H, W).
            data_samples (list[SegDataSample]): Their metainfo;
                ``gt_image_labels``, if every sample has it, replaces the
                classifier's decisions in Grad-CAM; ``gt_sem_seg``, if
                present, serves only the accuracy diagnostics.
            region (Tensor): (B, H, W) bool, inside the image and outside
                the strong view's CutOut box; masks the SGC attention.
            feats (list[Tensor], optional): Train-mode backbone features of
                ``inputs`` if already computed; else computed here.

        Returns:
            tuple: probabilities (B, K, H, W), the pixels kept for the loss
            (B, H, W) and a dict of detached diagnostics.
        """
        maps = self.pseudo_label_maps(inputs, data_samples, region, feats)
        probs = maps['probs']
        conf, labels = probs.max(dim=1)
        keep = region & (conf >= self.confidence_threshold)
        self.record_pseudo_label_stats(labels, conf, keep, region)
        n_region = region.sum().clamp_min(1)
        diagnostics = dict(
            pl_conf=conf[region].sum() / n_region,
            pl_valid_ratio=keep.sum() / n_region)
        if all('gt_sem_seg' in s for s in data_samples):
            predictions = dict(pl_acc=labels)
            for name, key in (('pl_acc_decoder', 'seg_logits'),
                              ('pl_acc_sgc', 'sgc_logits')):
                if key in maps:
                    predictions[name] = self._resize(
                        maps[key], inputs.shape[2:]).argmax(dim=1)
            diagnostics.update(
                self._accuracies(data_samples, region, **predictions))
            predicted = 'image_labels' in maps and \
                self.sgc_head.given_image_labels(data_samples) is None
            self.record_pseudo_label_quality(
                {
                    dict(pl_acc='pseudo', pl_acc_decoder='decoder',
                         pl_acc_sgc='sgc')[k]: v
                    for k, v in predictions.items()
                }, data_samples, region,
                maps['image_labels'] if predicted else None)
        return probs, keep, {k: v.float() for k, v in diagnostics.items()}

    @torch.no_grad()
    def pseudo_label_maps(
            self,
            inputs: Tensor,
            data_samples: SampleList,
            region: Tensor,
            feats: Optional[List[Tensor]] = None) -> Dict[str, Tensor]:
        """Every map behind the weak view's pseudo labels (no gradient).

        Arguments as :meth:`pseudo_labels`. Used by it and by the
        pseudo-label visualisation.

        Returns:
            dict[str, Tensor]: ``seg_logits`` (B, K, h4, w4), the decoder's;
            with an SGC source also ``image_labels`` (B, F) used for
            Grad-CAM, ``cam`` (B, F, h, w) and ``sgc_logits`` (B, K, h4,
            w4, resized to the decoder's resolution); and ``probs``
            (B, K, H, W), the pseudo-label distributions at input size.
        """
        x = self.segmentor.extract_feat(inputs) if feats is None else feats
        maps = dict(seg_logits=self.segmentor.decode_head.forward(x))
        if self.pseudo_src != 'decoder':
            maps.update(self._weak_sgc(inputs, x, data_samples, region))
            # align_corners of the SGC head (True: the release's resize).
            maps['sgc_logits'] = self._resize(
                maps['sgc_logits'], maps['seg_logits'].shape[2:],
                self.sgc_head.align_corners)
        if self.pseudo_src == 'fused':
            probs = calibrated_fusion(
                maps['seg_logits'],
                maps['sgc_logits'],
                self.temperature,
                calibrate=self.calibrate)
        else:
            single = 'sgc_logits' if self.pseudo_src == 'sgc' else \
                'seg_logits'
            probs = calibrated_fusion(maps[single], None, self.temperature)
        maps['probs'] = self._resize(probs, inputs.shape[2:])
        return maps

    def _weak_sgc(self, inputs: Tensor, train_feats: List[Tensor],
                  data_samples: SampleList,
                  region: Tensor) -> Dict[str, Tensor]:
        """Image labels, Grad-CAM and SGC logits of the weak view, from the
        inference-mode backbone pass."""
        seg = self.segmentor
        feats = train_feats
        if self.weak_inference_pass:
            with eval_mode(seg.backbone, getattr(seg, 'neck', None)):
                feats = seg.extract_feat(inputs)
        labels = self.sgc_head.given_image_labels(data_samples)
        if labels is None:
            labels = self.sgc_head.predict_image_labels(feats)
        labels = labels.to(inputs.device)
        logits, cam = self.sgc_head.sgc(feats, labels, region)
        return dict(image_labels=labels, cam=cam, sgc_logits=logits)

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

    def unsupervised_loss(self, inputs: Tensor, probs: Tensor, keep: Tensor,
                          region: Tensor) -> Dict[str, Tensor]:
        """Weighted consistency loss of the strong view.

        Sums the per-pixel loss over ``keep`` and divides by the number of
        ``region`` pixels (inside the image, outside CutOut).
        """
        with _running_stats_frozen(self.segmentor,
                                   not self.strong_updates_bn_stats):
            logits = self.segmentor.decode_head.forward(
                self.segmentor.extract_feat(inputs))
        logits = self._resize(logits, inputs.shape[2:])
        weight = self.unsup_weight * self.unsup_scale
        return dict(
            loss_ce=weight *
            self.unsup_loss(logits, probs, keep, region.sum()),
            weight=logits.new_tensor(weight))

    # ------------------------------------------------------------------
    # Inference: the wrapped segmentor's, or its SGC head's.
    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict with the wrapped segmentor (see ``EncoderDecoder``).

        With ``test_head='sgc_head'`` the SGC head takes the decode head's
        place for this call (same whole/slide inference and
        post-processing), so its own mIoU can be measured.
        """
        if self.test_head == 'decode_head':
            return self.segmentor.predict(inputs, data_samples)
        seg = self.segmentor
        decode_head = seg.decode_head
        seg.decode_head = self.sgc_head
        try:
            return seg.predict(inputs, data_samples)
        finally:
            seg.decode_head = decode_head
