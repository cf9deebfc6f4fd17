"""UniMatch (and FixMatch) on the semi-supervised base."""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         SampleList)
from torch import Tensor

from ..losses.soft_cross_entropy_loss import soft_cross_entropy
from ..utils.cutmix import cutmix, hard_pseudo_labels
from ..utils.masks import box_mask
from .semi_base import SemiBaseSegmentor, eval_mode, reweight_loss_dict

STRONG_VIEWS = ('strong1', 'strong2')


@MODELS.register_module()
class UniMatch(SemiBaseSegmentor):
    """UniMatch semi-supervised segmentor; FixMatch is one of its configs.

    From `Revisiting Weak-to-Strong Consistency in Semi-Supervised Semantic
    Segmentation <https://arxiv.org/abs/2208.09910>`_ (Yang et al., CVPR
    2023), as the authors' release (LiheYoung/UniMatch) trains it. One step
    on the branches ``sup``, ``weak``, ``strong1`` (, ``strong2``) and the
    mix batch's ``mix_weak``, ``mix_strong1`` (, ``mix_strong2``), another
    draw of the unlabeled set that the data pipeline supplies
    (``MixedDataset(with_mix=True)``):

    1. (:meth:`loss_by_gt_labels`) the mix batch's weak view in **eval
       mode**, no gradient, before any train-mode pass as in the release:
       its hard labels and confidences; then one train-mode forward of
       ``cat(sup, weak)``, whose backbone features are decoded by the same
       decode head both as they are and after channel dropout
       (``Dropout2d(fp_dropout)`` on every feature level the head may
       read): the labeled logits give the supervised losses (``sup_*``),
       the weak logits the pseudo labels, the perturbed weak logits
       ``pred_fp`` (the labeled half's perturbed logits are not used);
    2. (:meth:`get_pseudo_labels`) hard pseudo labels of the weak view
       (softmax max/argmax at input size, no gradient); for strong view k,
       inside its CutMix box the label, confidence and ignore mask are the
       mix batch's;
    3. (:meth:`loss_by_pseudo_labels`) strong view k with the mix batch's
       strong view k pasted into its box, one train-mode forward for all
       strong views, and per view ``sum(CE * [conf >= t] * valid) /
       sum(valid)`` (every valid pixel counts in the normaliser, confident
       or not); the same on ``pred_fp`` with the un-mixed labels.

    The total is ``sup_weight * loss_x + sum_k strong_weights[k] *
    loss_s_k + fp_weight * loss_fp``: the release's
    ``(loss_x + 0.25 s1 + 0.25 s2 + 0.5 fp) / 2`` with the defaults,
    FixMatch's ``(loss_x + loss_s) / 2`` with ``strong_weights=(0.5,)``
    and ``fp_weight=0`` (no perturbed pass). The unsupervised terms are
    also multiplied by the ramp factor of :meth:`set_unsup_scale` (1
    without a hook that sets it). Logits are resized to the input size as
    the decode head resizes them (``align_corners=True`` in the release's
    configs). "Valid" pixels are those inside the unpadded image.

    Args:
        segmentor (dict): Config of an ``EncoderDecoder`` (or subclass).
        data_preprocessor (dict, optional): As :class:`SemiBaseSegmentor`.
        conf_thresh (float): Pseudo labels with a confidence below it are
            left out of the unsupervised losses. Defaults to 0.95.
        sup_weight (float): Weight of the supervised losses. Defaults to
            0.5.
        strong_weights (Sequence[float]): Weight of each strong view's loss;
            its length (1 or 2) is the number of strong views. Defaults to
            (0.125, 0.125).
        fp_weight (float): Weight of the feature-perturbation loss; 0 skips
            the perturbed pass. Defaults to 0.25.
        fp_dropout (float): Channel-dropout probability of the feature
            perturbation. Defaults to 0.5.
        init_cfg, pretrained, train_cfg: As :class:`SemiBaseSegmentor`.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 conf_thresh: float = 0.95,
                 sup_weight: float = 0.5,
                 strong_weights: Sequence[float] = (0.125, 0.125),
                 fp_weight: float = 0.25,
                 fp_dropout: float = 0.5,
                 init_cfg: OptMultiConfig = None,
                 pretrained=None,
                 train_cfg: OptConfigType = None) -> None:
        self._check_args(conf_thresh, sup_weight, strong_weights, fp_weight,
                         fp_dropout)
        super().__init__(
            segmentor=segmentor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            pretrained=pretrained,
            train_cfg=train_cfg)
        self.conf_thresh = float(conf_thresh)
        self.sup_weight = float(sup_weight)
        self.strong_weights = tuple(float(w) for w in strong_weights)
        self.fp_weight = float(fp_weight)
        self.strong_views = STRONG_VIEWS[:len(self.strong_weights)]
        # Dropout2d in train mode with the model, as the release's.
        self.fp_dropout = nn.Dropout2d(fp_dropout) if fp_weight > 0 else None
        self.branches = ('sup', 'weak') + self.strong_views + tuple(
            'mix_' + v for v in ('weak', ) + self.strong_views)

    @staticmethod
    def _check_args(conf_thresh, sup_weight, strong_weights, fp_weight,
                    fp_dropout) -> None:
        if not 0.0 <= conf_thresh <= 1.0:
            raise ValueError('UniMatch.conf_thresh must be in [0, 1], got '
                             f'{conf_thresh}')
        if len(strong_weights) not in (1, 2):
            raise ValueError('UniMatch.strong_weights must give 1 or 2 '
                             f'strong views, got {strong_weights}')
        for name, value in [('sup_weight', sup_weight),
                            ('fp_weight', fp_weight)] + [
                                (f'strong_weights[{i}]', w)
                                for i, w in enumerate(strong_weights)
                            ]:
            if value < 0:
                raise ValueError(
                    f'UniMatch.{name} must be >= 0, got {value}')
        if not 0.0 < fp_dropout < 1.0:
            raise ValueError('UniMatch.fp_dropout must be in (0, 1), got '
                             f'{fp_dropout}')

    def check_branches(self, inputs: Dict[str, Tensor]) -> None:
        """As the base's, with where the mix batch comes from."""
        missing = [b for b in self.branches if b not in inputs]
        if any(b.startswith('mix_') for b in missing):
            raise KeyError(
                f'UniMatch.loss: batch lacks the mix batch {missing}: the '
                'data pipeline supplies it, set train_dataloader.dataset.'
                'with_mix=True (MixedDataset)')
        super().check_branches(inputs)

    # ------------------------------------------------------------------
    def logits(self, inputs: Tensor) -> Tensor:
        """Decode-head logits of ``inputs`` at input size, (B, K, H, W)."""
        seg = self.segmentor
        return self._resize(
            seg.decode_head.forward(seg.extract_feat(inputs)),
            inputs.shape[2:])

    def loss_by_gt_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Dict[str, Tensor]:
        """Step 1: the mix batch's targets (eval mode), then the joint
        forward of the labeled and weak batches and the supervised
        losses. Leaves ``mix``, ``pred_w`` and ``pred_fp`` in ``ctx``."""
        ctx['mix'] = self._mix_targets(inputs['mix_weak'],
                                       data_samples['mix_weak'])
        seg = self.segmentor
        num_sup = inputs['sup'].shape[0]
        feats = seg.extract_feat(torch.cat([inputs['sup'], inputs['weak']]))
        if self.fp_dropout is not None:
            # One decoder pass over clean and perturbed features.
            logits, logits_fp = seg.decode_head.forward(
                [torch.cat([f, self.fp_dropout(f)]) for f in feats]).chunk(2)
            ctx['pred_fp'] = logits_fp[num_sup:]
        else:
            logits = seg.decode_head.forward(feats)
        ctx['pred_w'] = logits[num_sup:].detach()
        losses = {
            f'decode.{k}': v
            for k, v in seg.decode_head.loss_by_feat(
                logits[:num_sup], data_samples['sup']).items()
        }
        if seg.with_auxiliary_head:
            losses.update(
                seg._auxiliary_head_forward_train(
                    [f[:num_sup] for f in feats], data_samples['sup']))
        return reweight_loss_dict(losses, self.sup_weight)

    @torch.no_grad()
    def _mix_targets(self, inputs: Tensor,
                     data_samples: SampleList) -> Tuple[Tensor, ...]:
        """(labels, confidences, valid) of the mix batch's weak view, from
        the segmentor in eval mode (BN running statistics, no dropout)."""
        with eval_mode(self.segmentor):
            probs = self.logits(inputs).softmax(dim=1)
        conf, labels = hard_pseudo_labels(probs)
        valid = self.valid_region(data_samples, inputs, exclude_cutout=False)
        return labels, conf, valid

    @torch.no_grad()
    def get_pseudo_labels(self, inputs: Dict[str, Tensor],
                          data_samples: Dict[str, SampleList],
                          ctx: dict) -> Tuple[dict, Dict[str, Tensor]]:
        """Step 2: hard pseudo labels of the weak view and, per strong
        view, the same mixed with the mix batch's inside its CutMix box.

        Returns:
            tuple: ``dict(weak=(labels, conf, valid), <view>=(...),
            <view>_box=box)`` (each (B, H, W)) and detached diagnostics:
            ``pl_conf`` (mean confidence over valid pixels),
            ``pl_valid_ratio`` (confident share of them) and, where the
            weak samples carry ``gt_sem_seg``, ``pl_acc``.
        """
        weak = inputs['weak']
        probs = self._resize(ctx['pred_w'], weak.shape[2:]).softmax(dim=1)
        conf, labels = hard_pseudo_labels(probs)
        valid = self.valid_region(
            data_samples['weak'], weak, exclude_cutout=False)
        pseudo = dict(weak=(labels, conf, valid))
        for view in self.strong_views:
            box = box_mask(data_samples[view], weak.shape[2:], 'cutmix_box',
                           weak.device)
            pseudo[view] = tuple(
                cutmix(own, mixed, box)
                for own, mixed in zip(pseudo['weak'], ctx['mix']))
            pseudo[f'{view}_box'] = box
        keep = valid & (conf >= self.conf_thresh)
        self.record_pseudo_label_stats(labels, conf, keep, valid)
        n_valid = valid.sum().clamp_min(1)
        diagnostics = dict(
            pl_conf=conf[valid].sum() / n_valid,
            pl_valid_ratio=keep.sum().float() / n_valid)
        if all('gt_sem_seg' in s for s in data_samples['weak']):
            gt = torch.stack(
                [s.gt_sem_seg.data[0] for s in data_samples['weak']])
            known = valid & (gt != self.ignore_index)
            diagnostics['pl_acc'] = ((labels == gt) & known).sum().float() \
                / known.sum().clamp_min(1)
            self.record_pseudo_label_quality(
                dict(pseudo=labels), data_samples['weak'], valid)
        return pseudo, diagnostics

    def loss_by_pseudo_labels(self, inputs: Dict[str, Tensor],
                              data_samples: Dict[str, SampleList],
                              pseudo: dict, ctx: dict) -> Dict[str, Tensor]:
        """Step 3: the CutMixed strong views (one forward for all) and the
        feature-perturbed weak view against the pseudo labels."""
        mixed = [
            cutmix(inputs[v], inputs[f'mix_{v}'], pseudo[f'{v}_box'])
            for v in self.strong_views
        ]
        preds = self.logits(torch.cat(mixed)).chunk(len(mixed))
        losses = {}
        for view, pred, weight in zip(self.strong_views, preds,
                                      self.strong_weights):
            losses[f'loss_{view}'] = weight * self.confident_ce(
                pred, *pseudo[view])
        if self.fp_dropout is not None:
            pred_fp = self._resize(ctx['pred_fp'], inputs['weak'].shape[2:])
            losses['loss_fp'] = self.fp_weight * self.confident_ce(
                pred_fp, *pseudo['weak'])
        return reweight_loss_dict(losses, self.unsup_scale)

    def confident_ce(self, logits: Tensor, labels: Tensor, conf: Tensor,
                     valid: Tensor) -> Tensor:
        """``sum(CE(logits, labels) * [conf >= t] * valid) / sum(valid)``.

        Args:
            logits (Tensor): (B, K, H, W) at the labels' size.
            labels, conf (Tensor): (B, H, W) hard pseudo labels and their
                confidences.
            valid (Tensor): (B, H, W) bool, inside the image.

        Returns:
            Tensor: Scalar loss.
        """
        return soft_cross_entropy(logits, labels,
                                  valid & (conf >= self.conf_thresh),
                                  valid.sum())
