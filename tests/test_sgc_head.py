import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from mmseg_pseudoseg.models.decode_heads import SGCHead
from mmseg_pseudoseg.models.utils import (autograd_grad_cam, grad_cam,
                                          image_labels_from_seg,
                                          sgc_attention)


def test_grad_cam_hand_computed():
    # C = 2 channels on a 1x3 map: A_0 = [1, 2, -1], A_1 = [0, 1, 3].
    # W_0 = [1, -1]:      W_0 . A = [1, 1, -4] -> ReLU [1, 1, 0], max 1.
    # W_1 = [0.5, 0.5]:   W_1 . A = [0.5, 1.5, 1], max 1.5 -> [1/3, 1, 2/3].
    # W_2 = [-1, -1]:     W_2 . A = [-1, -3, -2] -> ReLU 0: stays 0.
    feats = torch.tensor([[1., 2., -1.], [0., 1., 3.]]).view(1, 2, 1, 3)
    weight = torch.tensor([[1., -1.], [0.5, 0.5], [-1., -1.]])
    cam = grad_cam(feats, weight, torch.ones(1, 3))
    assert cam.shape == (1, 3, 1, 3)
    assert cam[0, 0].flatten().tolist() == pytest.approx([1, 1, 0])
    assert cam[0, 1].flatten().tolist() == pytest.approx([1 / 3, 1, 2 / 3])
    assert cam[0, 2].flatten().tolist() == [0, 0, 0]  # no NaN from 0 / 0
    # Binary labels switch whole maps off.
    off = grad_cam(feats, weight, torch.tensor([[1., 0., 1.]]))
    assert off[0, 1].abs().max() == 0
    assert torch.equal(off[0, 0], cam[0, 0])
    with pytest.raises(ValueError, match='image_labels'):
        grad_cam(feats, weight, torch.ones(1, 2))


def test_grad_cam_equals_normalised_autograd_grad_cam():
    torch.manual_seed(0)
    feats = torch.randn(3, 16, 5, 7)
    linear = torch.nn.Linear(16, 6)
    labels = (torch.rand(3, 6) > 0.3).float()
    closed = grad_cam(feats, linear.weight, labels)
    reference = autograd_grad_cam(feats, lambda f: linear(f.mean((2, 3))))
    reference = reference * labels[:, :, None, None]
    peak = reference.amax((2, 3), keepdim=True)
    reference = torch.where(peak > 0, reference / peak.clamp_min(1e-30),
                            torch.zeros_like(reference))
    assert (closed - reference).abs().max().item() < 1e-5
    assert closed.amax((2, 3))[labels.bool()].min() > 0.99  # normalised


# Hand-worked attention, B = 1, F = 1, N = 2 positions (1x2), D = 4:
#   q_0 = k_0 = [1, 1, 1, 1], q_1 = k_1 = 0, cam c = [1, 0].
#   logits = q_i . k_j / sqrt(4): row 0 = [2, 0], row 1 = [0, 0]
#   att row 0 = [e^2, 1] / (e^2 + 1) = [0.88080, 0.11920], row 1 = [.5, .5]
#   v2: r = att @ c + c = [0.88080 + 1, 0.5 + 0] = [1.88080, 0.5],
#       background 2 - r = [0.11920, 1.5]
#   v1: r = att @ c = [0.88080, 0.5], background 1 - r = [0.11920, 0.5]
#   masked (position 1 invalid): row 0 sees only key 0 -> r_0 = 1 + 1 = 2;
#       row 1 is all masked -> uniform -> r_1 = 0.5 + 0; bg = [0, 1.5]
Q = torch.tensor([[1., 0.]] * 4).view(1, 4, 1, 2)
CAM = torch.tensor([1., 0.]).view(1, 1, 1, 2)
E = math.exp(2) / (math.exp(2) + 1)


def test_sgc_attention_hand_computed_v2():
    out = sgc_attention(CAM, Q, Q.clone())
    assert out.shape == (1, 2, 1, 2)
    assert out[0, 1, 0].tolist() == pytest.approx([E + 1, 0.5], abs=1e-6)
    assert out[0, 0, 0].tolist() == pytest.approx([1 - E, 1.5], abs=1e-6)


def test_sgc_attention_hand_computed_v1_and_mask():
    v1 = sgc_attention(CAM, Q, Q.clone(), residual=False)
    assert v1[0, 1, 0].tolist() == pytest.approx([E, 0.5], abs=1e-6)
    assert v1[0, 0, 0].tolist() == pytest.approx([1 - E, 0.5], abs=1e-6)
    valid = torch.tensor([[[True, False]]])
    masked = sgc_attention(CAM, Q, Q.clone(), valid)
    assert masked[0, 1, 0].tolist() == pytest.approx([2.0, 0.5], abs=1e-6)
    assert masked[0, 0, 0].tolist() == pytest.approx([0.0, 1.5], abs=1e-6)
    with pytest.raises(ValueError, match='query'):
        sgc_attention(CAM, Q[..., :1], Q)


def test_sgc_attention_properties():
    torch.manual_seed(0)
    cam = torch.rand(2, 3, 4, 5)
    q, k = torch.randn(2, 8, 4, 5), torch.randn(2, 8, 4, 5)
    out = sgc_attention(cam, q, k)
    fg = out[:, 1:]
    assert fg.min() >= 0 and fg.max() <= 2  # residual: att @ c + c
    assert torch.allclose(out[:, 0], 2 - fg.amax(1))
    # A spatially constant CAM is a fixed point of the attention.
    const = torch.full((2, 3, 4, 5), 0.25)
    assert torch.allclose(sgc_attention(const, q, k)[:, 1:], 2 * const)


def test_image_labels_from_seg():
    seg = torch.tensor([[[0, 2], [255, 2]], [[3, 1], [0, 0]]])
    labels = image_labels_from_seg(seg, num_classes=4)
    assert labels.tolist() == [[0, 1, 0], [1, 0, 1]]


def _samples(seg, img_shape=None):
    samples = []
    for s in seg:
        sample = SegDataSample(gt_sem_seg=PixelData(data=s[None]))
        sample.set_metainfo(dict(img_shape=img_shape or tuple(s.shape)))
        samples.append(sample)
    return samples


def _head(**kwargs):
    kwargs = dict(
        dict(num_classes=4, in_channels=[4, 8], in_index=[0, 1]), **kwargs)
    return SGCHead(**kwargs)


def _feats(b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, 4, 8, 8, generator=g),
            torch.randn(b, 8, 4, 4, generator=g)]


def test_sgc_head_loss_keys_and_what_each_loss_trains():
    torch.manual_seed(0)
    head = _head()
    feats = [f.requires_grad_(True) for f in _feats()]
    seg = torch.tensor([0, 1, 3, 255]).repeat(2, 16, 4)[:, :16, :16]
    losses = head.loss(feats, _samples(seg))
    assert set(losses) == {'loss_cls', 'loss_ce', 'acc_seg'}
    # loss_cls is the mean BCE over B x F against the derived labels.
    labels = image_labels_from_seg(seg, 4)
    head.eval()  # no dropout: the classifier output is deterministic
    expected = F.binary_cross_entropy_with_logits(head.classify(feats),
                                                  labels)
    head.train()
    head.cls_dropout.p = 0.0
    assert torch.allclose(head.loss(feats, _samples(seg))['loss_cls'],
                          expected)
    # The SGC CE trains query/key/output conv/BN, never the classifier
    # or the backbone features (its inputs are stop-gradient).
    head.zero_grad()
    head.loss(feats, _samples(seg))['loss_ce'].backward()
    assert head.query.weight.grad.abs().sum() > 0
    assert head.key.weight.grad.abs().sum() > 0
    assert head.conv_seg.weight.grad.abs().sum() > 0
    assert head.norm.bias.grad.abs().sum() > 0
    assert head.classifier.weight.grad is None
    assert all(f.grad is None for f in feats)
    # The BCE reaches the backbone's last stage, not the hypercolumn-only
    # stage.
    head.loss(feats, _samples(seg))['loss_cls'].backward()
    assert feats[1].grad.abs().sum() > 0 and feats[0].grad is None


def test_sgc_head_v2_structure_and_v1_option():
    head = _head()
    assert head.conv_seg.bias is None
    assert not head.norm.weight.requires_grad  # BN learns a shift only
    assert head.norm.bias.requires_grad
    assert head.query.bias is None and head.key.bias is None
    assert head.query.out_channels == 128 and head.query.in_channels == 12
    assert head.cls_dropout.p == 0.5
    v1 = _head(version='v1')
    assert v1.norm is None and v1.conv_seg.bias is not None
    out = v1(_feats(), torch.ones(2, 3))
    assert out.shape == (2, 4, 4, 4)


def test_sgc_head_forward_uses_given_or_predicted_labels():
    torch.manual_seed(0)
    head = _head().eval()
    feats = _feats()
    with torch.no_grad():
        head.classifier.bias.fill_(-100.0)  # classifier says: no class
        predicted = head(feats)
        given = head(feats, torch.ones(2, 3))
        none = head(feats, torch.zeros(2, 3))
    assert head.predict_image_labels(feats).sum() == 0
    assert torch.equal(predicted, none)
    assert not torch.allclose(predicted, given)


def test_sgc_head_checks_channels_and_arguments():
    head = _head()
    with pytest.raises(ValueError,
                       match=r'\[4, 6\] channels: set sgc_head.in_channels'):
        head([torch.randn(1, 4, 8, 8), torch.randn(1, 6, 4, 4)])
    for kwargs, match in ((dict(num_classes=1), 'num_classes'),
                          (dict(version='v3'), 'version'),
                          (dict(key_channels=0), 'key_channels'),
                          (dict(cls_dropout_ratio=1.0), 'cls_dropout'),
                          (dict(cls_loss_weight=-1), 'cls_loss_weight'),
                          (dict(in_channels=[4]), 'same')):
        with pytest.raises(ValueError, match=match):
            _head(**kwargs)


def test_sgc_head_single_stage_and_predict():
    head = SGCHead(num_classes=3, in_channels=8, in_index=1).eval()
    feats = _feats(b=1)
    metas = [dict(img_shape=(16, 16), pad_shape=(16, 16))]
    out = head.predict(feats, metas, None)
    assert out.shape == (1, 3, 16, 16)


def test_sgc_head_trains_to_follow_the_labels():
    # Class 1 lives where channel 0 is high; after training the classifier
    # (BCE) and the SGC output (CE), SGC must segment it.
    # BN momentum 0.1: with the release's 0.001 the running statistics that
    # eval mode uses would need thousands of steps to settle.
    torch.manual_seed(0)
    head = SGCHead(num_classes=2, in_channels=2, in_index=0,
                   cls_dropout_ratio=0.0,
                   norm_cfg=dict(type='BN', requires_grad=True, momentum=0.1))
    feats = torch.zeros(8, 2, 4, 4)
    feats[:4, 0, :2, :2] = 5.0  # images 0-3 contain class 1, top-left
    feats[:, 1] = 1.0
    seg = torch.zeros(8, 4, 4, dtype=torch.long)
    seg[:4, :2, :2] = 1
    opt = torch.optim.SGD(head.parameters(), lr=0.5)
    for _ in range(300):
        opt.zero_grad()
        losses = head.loss([feats], _samples(seg))
        (losses['loss_cls'] + losses['loss_ce']).backward()
        opt.step()
    head.eval()
    with torch.no_grad():
        pred = head([feats]).argmax(1)
    assert (pred[:4, :2, :2] == 1).all()
    assert (pred[:4, 2:, 2:] == 0).all()
    assert (pred[4:] == 0).all()


def test_sgc_head_given_image_labels():
    head = _head()
    samples = _samples(torch.zeros(2, 4, 4, dtype=torch.long))
    assert head.given_image_labels(samples) is None
    assert head.image_labels(samples).sum() == 0  # from the (empty) seg
    for s in samples:
        s.gt_image_labels = torch.tensor([0., 1., 1.])
    assert head.image_labels(samples).tolist() == [[0, 1, 1]] * 2
    samples[0].gt_image_labels = torch.tensor([1., 0.])
    with pytest.raises(ValueError, match='gt_image_labels'):
        head.given_image_labels(samples)


@pytest.mark.parametrize('detach', [False, True])
def test_sgc_head_cls_detach_input_option(detach):
    head = _head(cls_detach_input=detach)
    feats = [f.requires_grad_(True) for f in _feats()]
    seg = torch.tensor([[[0, 1], [1, 2]], [[0, 0], [2, 2]]])
    head.loss(feats, _samples(seg))['loss_cls'].backward()
    assert (feats[1].grad is None) == detach
    assert head.classifier.weight.grad.abs().sum() > 0


def test_grad_cam_and_attention_stay_float32_under_autocast():
    # AMP (autocast) runs matrix products in fp16 even on float32 inputs:
    # the -1e9 attention mask then overflows ("value cannot be converted
    # to type c10::Half"), as it did in the AMP config on a GPU. CPU fp16
    # autocast casts the same ops.
    torch.manual_seed(0)
    feats = torch.randn(2, 16, 4, 5)
    weight = torch.randn(3, 16)
    labels = torch.tensor([[1., 0., 1.], [1., 1., 1.]])
    q, k = torch.randn(2, 8, 4, 5), torch.randn(2, 8, 4, 5)
    valid = torch.rand(2, 4, 5) > 0.3
    cam = grad_cam(feats, weight, labels)
    out = sgc_attention(cam, q, k, valid)
    with torch.autocast('cpu', dtype=torch.float16):
        cam_amp = grad_cam(feats.half(), weight, labels)
        out_amp = sgc_attention(cam, q.half(), k.half(), valid)
    assert cam_amp.dtype == out_amp.dtype == torch.float32
    # Same results up to the fp16 rounding of the inputs given as fp16.
    assert (cam_amp - cam).abs().max() < 5e-3
    assert (out_amp - out).abs().max() < 5e-3
    with torch.autocast('cpu', dtype=torch.float16):
        assert torch.equal(sgc_attention(cam, q, k, valid), out)


def test_sgc_head_release_numerics(monkeypatch):
    # Spec Sec. 10: output BN with TF's decay 0.999 / epsilon 1e-3; SGC
    # logits resized with align_corners=True; the CE averaged over the
    # non-ignored pixels (mmseg's default divides by every pixel).
    head = _head()
    assert head.norm.momentum == pytest.approx(0.001)
    assert head.norm.eps == pytest.approx(1e-3)
    assert head.align_corners is True
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 4, 4, generator=g)
    seg = torch.randint(0, 4, (2, 16, 16), generator=g)
    seg[:, 10:] = 255  # padding / ignored: left out of the count
    monkeypatch.setattr(head, 'forward', lambda *args, **kwargs: logits)
    loss = head.loss(_feats(), _samples(seg))['loss_ce']
    up = F.interpolate(logits, size=(16, 16), mode='bilinear',
                       align_corners=True)
    per_pixel = F.cross_entropy(up, seg, ignore_index=255, reduction='none')
    expected = per_pixel.sum() / (seg != 255).sum()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
