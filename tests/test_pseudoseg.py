import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint, save_checkpoint

from mmseg.registry import DATASETS, MODELS
from .conftest import PSEUDOSEG_TOY, toy_cfg


@pytest.fixture
def batch(toy_root, tmp_path):
    dataset = DATASETS.build(
        toy_cfg(PSEUDOSEG_TOY, toy_root, tmp_path).train_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in range(2)])


def _preprocessed(model, batch):
    return model.data_preprocessor(copy.deepcopy(batch), True)


def test_loss_keys_and_backward(pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    assert set(data['inputs']) == {'sup', 'weak', 'strong'}
    assert data['inputs']['sup'].shape == (2, 3, 64, 64)
    losses = model.loss(**data)
    assert all(k.startswith(('sup_', 'unsup_')) for k in losses)
    for key in ('sup_decode.loss_ce', 'sup_aux.loss_ce', 'sup_sgc.loss_cls',
                'sup_sgc.loss_ce', 'sup_sgc.acc_seg', 'unsup_loss_ce',
                'unsup_pl_conf', 'unsup_pl_valid_ratio', 'unsup_pl_acc',
                'unsup_pl_acc_decoder', 'unsup_pl_acc_sgc', 'unsup_weight'):
        assert key in losses, key
    # Diagnostics are detached and carry no 'loss' in their key.
    for key, value in losses.items():
        if 'loss' not in key:
            assert not value.requires_grad, key
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    head = model.sgc_head
    for param in (head.classifier.weight, head.query.weight, head.key.weight,
                  head.conv_seg.weight, head.norm.bias):
        assert param.grad.abs().sum() > 0
    stats = model.pseudo_label_stats()
    assert stats['class_hist'].shape == (4, )
    assert stats['class_hist'].sum() == stats['valid_pixels']


def test_no_gradient_flows_through_the_weak_view(pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    for branch in ('weak', 'strong'):
        data['inputs'][branch].requires_grad_(True)
    losses = model.loss(**data)
    losses['unsup_loss_ce'].backward()
    assert data['inputs']['weak'].grad is None
    assert data['inputs']['strong'].grad.abs().sum() > 0


def test_unsup_scale_and_weight(pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    model.set_unsup_scale(0.0)
    torch.manual_seed(0)
    assert model.loss(**copy.deepcopy(data))['unsup_loss_ce'].item() == 0.0
    model.set_unsup_scale(1.0)
    model.unsup_weight = 2.0
    losses = model.loss(**data)
    assert losses['unsup_weight'].item() == 2.0
    assert losses['unsup_loss_ce'].item() > 0
    with pytest.raises(ValueError, match='scale'):
        model.set_unsup_scale(1.5)


def test_confidence_threshold_masks_pixels(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.confidence_threshold = 0.999
    model = MODELS.build(cfg)
    data = _preprocessed(model, batch)
    losses = model.loss(**data)
    assert losses['unsup_pl_valid_ratio'].item() < 0.5


def test_decoder_only_ablation(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.sgc_head = None
    cfg.pseudo_src = 'decoder'
    model = MODELS.build(cfg)
    losses = model.loss(**_preprocessed(model, batch))
    assert not any(k.startswith('sup_sgc') for k in losses)
    assert 'unsup_pl_acc_sgc' not in losses
    # Without SGC the pseudo labels are the decoder's argmax, up to pixels
    # where upsampling probabilities and upsampling logits disagree.
    assert abs(losses['unsup_pl_acc'] - losses['unsup_pl_acc_decoder']) < 0.05


def test_sgc_only_pseudo_labels(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.pseudo_src = 'sgc'
    model = MODELS.build(cfg)
    losses = model.loss(**_preprocessed(model, batch))
    assert abs(losses['unsup_pl_acc'] - losses['unsup_pl_acc_sgc']) < 0.05


def _bn_modes_during_pseudo_labels(model, data):
    """Record (backbone BN training flag, SGC BN training flag) of every
    BN forward while pseudo labels are made."""
    backbone_bn = model.segmentor.backbone.stem[1]
    calls = []
    handles = [
        backbone_bn.register_forward_hook(
            lambda m, i, o: calls.append(('backbone', m.training))),
        model.sgc_head.norm.register_forward_hook(
            lambda m, i, o: calls.append(('sgc', m.training))),
    ]
    region = torch.ones((2, 64, 64), dtype=torch.bool)
    before = backbone_bn.running_mean.clone()
    model.pseudo_labels(data['inputs']['weak'], data['data_samples']['weak'],
                        region)
    for h in handles:
        h.remove()
    return calls, before, backbone_bn.running_mean


def test_classifier_pass_for_pseudo_labels_is_in_inference_mode(
        pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg).train()
    data = _preprocessed(model, batch)
    seen = []
    real = model.sgc_head.predict_image_labels

    def spy(feats):
        seen.append([f.clone() for f in feats])
        return real(feats)

    model.sgc_head.predict_image_labels = spy
    calls, before, after = _bn_modes_during_pseudo_labels(model, data)
    # Pass 2 (decoder) in train mode, pass 3 (classifier, SGC) in eval
    # mode; the SGC output BN stays in train mode, as in the release.
    assert calls == [('backbone', True), ('backbone', False), ('sgc', True)]
    assert model.segmentor.backbone.training  # restored
    assert model.sgc_head.training
    assert not torch.equal(before, after)  # only pass 2 moved the stats
    # The classifier saw the eval-mode features (running statistics).
    model.segmentor.eval()
    with torch.no_grad():
        expected = model.segmentor.extract_feat(data['inputs']['weak'])
    assert len(seen) == 1
    assert torch.allclose(seen[0][-1], expected[-1], atol=1e-6)


def test_shared_weak_pass_option(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.weak_inference_pass = False
    model = MODELS.build(cfg).train()
    calls, _, _ = _bn_modes_during_pseudo_labels(model,
                                                 _preprocessed(model, batch))
    assert calls == [('backbone', True), ('sgc', True)]  # one backbone pass


def test_given_image_labels_replace_the_classifier(pseudoseg_model_cfg,
                                                   batch):
    model = MODELS.build(pseudoseg_model_cfg).train()
    data = _preprocessed(model, batch)
    for sample in data['data_samples']['weak']:
        sample.gt_image_labels = torch.tensor([1., 0., 1.])

    def fail(feats):
        raise AssertionError('the classifier must not decide')

    model.sgc_head.predict_image_labels = fail
    region = torch.ones((2, 64, 64), dtype=torch.bool)
    model.pseudo_labels(data['inputs']['weak'], data['data_samples']['weak'],
                        region)


def test_cutout_box_leaves_the_loss(pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg).train()
    data = _preprocessed(model, batch)
    for sample in data['data_samples']['strong']:
        h, w = sample.img_shape
        sample.set_metainfo(dict(img_shape=(h, w), cutout_box=(0, 0, 10, 10)))
    model.loss(**copy.deepcopy(data))
    stats = model.pseudo_label_stats()
    in_image = sum(s.img_shape[0] * s.img_shape[1]
                   for s in data['data_samples']['strong'])
    assert stats['total_pixels'].item() == in_image - 2 * 100
    assert stats['valid_pixels'].item() == in_image - 2 * 100


def test_sgc_head_can_be_evaluated_on_its_own(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    model = MODELS.build(cfg).eval()
    sample = dict(
        inputs=batch['inputs']['sup'][:1],
        data_samples=batch['data_samples']['sup'][:1])
    with torch.no_grad():
        decoder = model.val_step(copy.deepcopy(sample))[0]
        model.test_head = 'sgc_head'
        sgc = model.val_step(copy.deepcopy(sample))[0]
    assert sgc.seg_logits.data.shape == decoder.seg_logits.data.shape
    assert not torch.equal(sgc.seg_logits.data, decoder.seg_logits.data)
    assert model.segmentor.decode_head is not model.sgc_head  # restored


def test_predict_equals_stock_segmentor_and_stock_checkpoint_loads(
        pseudoseg_model_cfg, supervised_model_cfg, batch, tmp_path):
    stock = MODELS.build(supervised_model_cfg).eval()
    model = MODELS.build(pseudoseg_model_cfg).eval()
    # A checkpoint of the plain EncoderDecoder, as mmseg would save it.
    ckpt = str(tmp_path / 'stock.pth')
    save_checkpoint({'state_dict': stock.state_dict()}, ckpt)
    load_checkpoint(model, ckpt, map_location='cpu', strict=False)
    for key, value in stock.state_dict().items():
        assert torch.equal(model.segmentor.state_dict()[key], value), key
    # One image per call: eval-mode preprocessing needs equal sizes, and
    # random crops of the training pipeline may differ.
    for i in range(2):
        sample = dict(
            inputs=batch['inputs']['sup'][i:i + 1],
            data_samples=batch['data_samples']['sup'][i:i + 1])
        with torch.no_grad():
            expected = stock.val_step(copy.deepcopy(sample))[0]
            got = model.val_step(copy.deepcopy(sample))[0]
        assert torch.equal(expected.seg_logits.data, got.seg_logits.data)
        assert torch.equal(expected.pred_sem_seg.data, got.pred_sem_seg.data)


def test_own_checkpoint_round_trip(pseudoseg_model_cfg, tmp_path):
    a = MODELS.build(pseudoseg_model_cfg)
    b = MODELS.build(pseudoseg_model_cfg)
    b.load_state_dict(a.state_dict())  # strict: every key matches
    assert torch.equal(a.sgc_head.query.weight, b.sgc_head.query.weight)


def test_argument_validation(pseudoseg_model_cfg):
    for key, value, match in (('unsup_weight', -1.0, 'unsup_weight'),
                              ('temperature', 0.0, 'temperature'),
                              ('confidence_threshold', 1.0,
                               'confidence_threshold'),
                              ('pseudo_src', 'cam', 'pseudo_src'),
                              ('test_head', 'aux', 'test_head'),
                              ('sgc_head', None, "pseudo_src='decoder'")):
        cfg = copy.deepcopy(pseudoseg_model_cfg)
        cfg[key] = value
        with pytest.raises(ValueError, match=match):
            MODELS.build(cfg)
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.sgc_head.num_classes = 5
    with pytest.raises(ValueError, match='sgc_head.num_classes'):
        MODELS.build(cfg)


def test_loss_needs_all_branches(pseudoseg_model_cfg, batch):
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    del data['inputs']['strong']
    with pytest.raises(KeyError, match='strong'):
        model.loss(**data)


def test_multi_branch_preprocessor_matches_per_branch(pseudoseg_model_cfg,
                                                      batch):
    model = MODELS.build(pseudoseg_model_cfg)
    out = _preprocessed(model, batch)
    inner = model.data_preprocessor.data_preprocessor
    for branch in ('sup', 'weak', 'strong'):
        single = inner(
            copy.deepcopy(
                dict(
                    inputs=batch['inputs'][branch],
                    data_samples=batch['data_samples'][branch])), True)
        assert torch.equal(single['inputs'], out['inputs'][branch])
    # Plain (non-branch) batches pass straight through.
    plain = dict(
        inputs=batch['inputs']['sup'],
        data_samples=batch['data_samples']['sup'])
    assert torch.equal(
        model.data_preprocessor(copy.deepcopy(plain), True)['inputs'],
        inner(copy.deepcopy(plain), True)['inputs'])


@pytest.mark.parametrize('updates', [True, False])
def test_strong_view_and_bn_running_stats(pseudoseg_model_cfg, batch,
                                          updates):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.strong_updates_bn_stats = updates
    model = MODELS.build(cfg)
    data = _preprocessed(model, batch)
    bn = model.segmentor.backbone.stem[1]  # first BatchNorm
    start = copy.deepcopy(model.state_dict())

    def running_mean_after(strong):
        model.load_state_dict(start)
        d = copy.deepcopy(data)
        d['inputs']['strong'] = strong
        torch.manual_seed(0)
        model.loss(**d)
        return bn.running_mean.clone()

    same = running_mean_after(data['inputs']['strong'])
    shifted = running_mean_after(data['inputs']['strong'] + 5.0)
    assert torch.equal(same, shifted) == (not updates)
    assert bn.momentum == 0.1  # restored after the strong forward


def test_same_seed_gives_the_supervised_baseline_initialisation(
        pseudoseg_model_cfg, supervised_model_cfg):
    torch.manual_seed(3)
    stock = MODELS.build(supervised_model_cfg)
    stock.init_weights()
    torch.manual_seed(3)
    model = MODELS.build(pseudoseg_model_cfg)
    model.init_weights()
    for key, value in stock.state_dict().items():
        assert torch.equal(model.segmentor.state_dict()[key], value), key


def test_preprocessor_choice():
    from mmseg_pseudoseg.models.segmentors.pseudoseg import \
        _multi_branch_preprocessor as choose
    inner = dict(type='SegDataPreProcessor', size=(64, 64))
    runner_filled = dict(type='SegDataPreProcessor')  # no size
    assert choose(runner_filled, inner) == dict(
        type='MultiBranchSegDataPreProcessor', data_preprocessor=inner)
    assert choose(None, inner)['data_preprocessor'] == inner
    assert choose(runner_filled, None)['data_preprocessor'] == runner_filled
    explicit = dict(
        type='MultiBranchSegDataPreProcessor', data_preprocessor=inner)
    assert choose(explicit, dict(type='SegDataPreProcessor')) is explicit
    with pytest.raises(ValueError, match='needs a data_preprocessor'):
        choose(None, None)


def test_with_image_level_labels_setting(pseudoseg_model_cfg, batch):
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.cls_on_unlabeled = True
    model = MODELS.build(cfg).train()
    data = _preprocessed(model, batch)
    with pytest.raises(ValueError, match='LoadImageLevelLabels'):
        model.loss(**copy.deepcopy(data))
    for sample in data['data_samples']['weak']:
        sample.gt_image_labels = torch.tensor([1., 0., 1.])
    losses = model.loss(**data)
    # The classifier trains on the image-labeled weak view instead of the
    # labeled batch; the SGC head still trains on the pixel labels.
    assert 'unsup_sgc.loss_cls' in losses
    assert 'sup_sgc.loss_cls' not in losses and 'sup_sgc.loss_ce' in losses
    losses['unsup_sgc.loss_cls'].backward()
    assert model.sgc_head.classifier.weight.grad.abs().sum() > 0
    assert model.segmentor.backbone.stem[0].weight.grad.abs().sum() > 0


def test_defaults_are_the_method(pseudoseg_model_cfg):
    from mmseg_pseudoseg.models.segmentors import PseudoSeg
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.pop('type')
    for key in ('unsup_weight', 'temperature', 'calibrate', 'pseudo_src',
                'confidence_threshold', 'unsup_loss', 'weak_inference_pass',
                'strong_updates_bn_stats', 'cls_on_unlabeled', 'test_head'):
        cfg.pop(key, None)
    model = PseudoSeg(**cfg)
    assert (model.unsup_weight, model.temperature, model.calibrate,
            model.pseudo_src, model.confidence_threshold) == (1.0, 0.5, True,
                                                              'fused', 0.0)
    assert model.weak_inference_pass and model.strong_updates_bn_stats
    assert not model.cls_on_unlabeled
    assert not model.unsup_loss.use_hard_labels


def test_loss_under_fp16_autocast(pseudoseg_model_cfg, batch):
    # What AmpOptimWrapper does on a GPU (the amp config), with CPU fp16
    # autocast, which casts the same matrix products and convolutions:
    # every loss finite, the consistency loss float32, gradients finite.
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    with torch.autocast('cpu', dtype=torch.float16):
        losses = model.loss(**data)
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    assert losses['unsup_loss_ce'].dtype == torch.float32
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    head = model.sgc_head
    for param in (head.classifier.weight, head.query.weight,
                  head.conv_seg.weight):
        assert param.grad is not None and torch.isfinite(param.grad).all()


def test_sgc_logits_resized_with_align_corners_for_the_fusion(
        pseudoseg_model_cfg, batch, monkeypatch):
    # Spec Sec. 10: the SGC logits (stride 8 here) reach the decoder's
    # resolution (stride 4) by TF's resize_bilinear, align_corners=True.
    model = MODELS.build(pseudoseg_model_cfg)
    data = _preprocessed(model, batch)
    weak = data['inputs']['weak']
    g = torch.Generator().manual_seed(0)
    raw = torch.randn(2, 4, 8, 8, generator=g)
    cam = torch.rand(2, 3, 8, 8, generator=g)
    monkeypatch.setattr(model.sgc_head, 'sgc',
                        lambda *args, **kwargs: (raw, cam))
    region = torch.ones(2, *weak.shape[2:], dtype=torch.bool)
    maps = model.pseudo_label_maps(weak, data['data_samples']['weak'],
                                   region)
    size = maps['seg_logits'].shape[2:]
    assert tuple(size) == (16, 16)
    expected = F.interpolate(raw, size=size, mode='bilinear',
                             align_corners=True)
    assert torch.allclose(maps['sgc_logits'], expected)
