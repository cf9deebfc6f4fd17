import copy

import pytest
import torch
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
    for key in ('sup_decode.loss_ce', 'sup_aux.loss_ce', 'sup_cam.loss_cls',
                'unsup_loss_ce', 'unsup_pl_conf', 'unsup_pl_valid_ratio',
                'unsup_pl_acc', 'unsup_pl_acc_decoder', 'unsup_weight'):
        assert key in losses, key
    # Diagnostics are detached and carry no 'loss' in their key.
    for key, value in losses.items():
        if 'loss' not in key:
            assert not value.requires_grad, key
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.cam_head.classifier.weight.grad.abs().sum() > 0
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
    cfg.cam_head = None
    model = MODELS.build(cfg)
    losses = model.loss(**_preprocessed(model, batch))
    assert 'sup_cam.loss_cls' not in losses
    # Without SGC the pseudo labels are the decoder's argmax, up to pixels
    # where upsampling probabilities and upsampling logits disagree.
    assert abs(losses['unsup_pl_acc'] - losses['unsup_pl_acc_decoder']) < 0.05


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
    assert torch.equal(a.cam_head.classifier.weight,
                       b.cam_head.classifier.weight)


def test_argument_validation(pseudoseg_model_cfg):
    for key, value, match in (('unsup_weight', -1.0, 'unsup_weight'),
                              ('temperature', 0.0, 'temperature'),
                              ('confidence_threshold', 1.0,
                               'confidence_threshold')):
        cfg = copy.deepcopy(pseudoseg_model_cfg)
        cfg[key] = value
        with pytest.raises(ValueError, match=match):
            MODELS.build(cfg)
    cfg = copy.deepcopy(pseudoseg_model_cfg)
    cfg.cam_head.num_classes = 5
    with pytest.raises(ValueError, match='num_classes'):
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


@pytest.mark.parametrize('updates', [False, True])
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
