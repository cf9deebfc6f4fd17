import pytest
import torch
import torch.nn.functional as F

from mmseg_pseudoseg.models.decode_heads import CAMHead
from mmseg_pseudoseg.models.utils import (attention_refine,
                                          autograd_grad_cam, cosine_affinity,
                                          gap_linear_grad_cam,
                                          image_labels_from_seg,
                                          normalize_cam, sgc_scores)
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData


def test_closed_form_grad_cam_equals_autograd():
    torch.manual_seed(0)
    feats = torch.randn(3, 16, 5, 7)
    linear = torch.nn.Linear(16, 6)
    closed = gap_linear_grad_cam(feats, linear.weight)
    reference = autograd_grad_cam(feats, lambda f: linear(f.mean((2, 3))))
    assert closed.shape == (3, 6, 5, 7)
    assert (closed - reference).abs().max().item() < 1e-5
    assert closed.abs().max() > 0  # not trivially zero


def test_closed_form_grad_cam_hand_computed():
    # One channel map [[1, -3]], weight 2: ReLU(2 * [1, -3]) / 2 = [1, 0].
    feats = torch.tensor([[1., -3.]]).view(1, 1, 1, 2)
    cam = gap_linear_grad_cam(feats, torch.tensor([[2.]]))
    assert cam.flatten().tolist() == [1.0, 0.0]


def test_attention_refine_properties():
    torch.manual_seed(0)
    affinity = cosine_affinity(torch.randn(2, 4, 3, 3), temperature=0.5)
    assert affinity.shape == (2, 9, 9)
    assert torch.allclose(affinity.sum(-1), torch.ones(2, 9))
    constant = torch.full((2, 5, 3, 3), 0.7)
    assert torch.allclose(attention_refine(constant, affinity), constant)
    # An identity affinity leaves any map unchanged.
    maps = torch.rand(2, 5, 3, 3)
    eye = torch.eye(9).expand(2, 9, 9)
    assert torch.allclose(attention_refine(maps, eye), maps)


def test_normalize_and_sgc_scores():
    cam = torch.tensor([[[[0., 2.], [1., 4.]], [[0., 0.], [0., 0.]]]])
    norm = normalize_cam(cam)
    assert norm[0, 0].flatten().tolist() == pytest.approx(
        [0, 0.5, 0.25, 1], abs=1e-4)
    assert norm[0, 1].abs().max() == 0
    scores = sgc_scores(norm, torch.tensor([[0.5, 1.0]]))
    assert scores.shape == (1, 3, 2, 2)
    # background = 1 - max foreground; foreground weighted by class prob
    assert scores[0, 1].flatten().tolist() == pytest.approx(
        [0, 0.25, 0.125, 0.5], abs=1e-4)
    assert scores[0, 0].flatten().tolist() == pytest.approx(
        [1, 0.75, 0.875, 0.5], abs=1e-4)


def test_image_labels_from_seg():
    seg = torch.tensor([[[0, 2], [255, 2]], [[3, 1], [0, 0]]])
    labels = image_labels_from_seg(seg, num_classes=4)
    assert labels.tolist() == [[0, 1, 0], [1, 0, 1]]


def _samples(seg):
    return [
        SegDataSample(gt_sem_seg=PixelData(data=s[None])) for s in seg
    ]


def test_cam_head_loss_and_sgc():
    torch.manual_seed(0)
    head = CAMHead(in_channels=8, num_classes=4)
    feats = [torch.randn(2, 8, 4, 4)]
    seg = torch.tensor([[[0, 1], [1, 255]], [[3, 3], [0, 0]]])
    losses = head.loss(feats, _samples(seg))
    assert set(losses) == {'loss_cls', 'acc_cls'}
    losses['loss_cls'].backward()
    assert head.classifier.weight.grad.abs().sum() > 0
    # The loss equals BCE against the derived labels [[1,0,0],[0,0,1]].
    logits = head(feats)
    expected = F.binary_cross_entropy_with_logits(
        logits, torch.tensor([[1., 0, 0], [0, 0, 1]]))
    assert torch.allclose(losses['loss_cls'], expected)
    sgc = head.sgc(feats)
    assert sgc.shape == (2, 4, 4, 4)
    assert not sgc.requires_grad
    assert sgc.min() >= 0 and sgc.max() <= 1 + 1e-6


def test_cam_head_sgc_follows_a_trained_classifier():
    # Class 1 lives where channel 0 is high; after fitting, the SGC map of
    # class 1 must peak there and background must win elsewhere.
    torch.manual_seed(0)
    head = CAMHead(in_channels=2, num_classes=2)
    feats = torch.zeros(8, 2, 4, 4)
    feats[:4, 0, :2, :2] = 5.0  # images 0-3 contain class 1, top-left
    feats[:, 1] = 1.0
    seg = torch.zeros(8, 4, 4, dtype=torch.long)
    seg[:4, :2, :2] = 1
    opt = torch.optim.SGD(head.parameters(), lr=0.5)
    for _ in range(100):
        opt.zero_grad()
        head.loss([feats], _samples(seg))['loss_cls'].backward()
        opt.step()
    pred = head.sgc([feats]).argmax(1)
    assert (pred[:4, :2, :2] == 1).all()
    assert (pred[:4, 2:, 2:] == 0).all()
    assert (pred[4:] == 0).all()


def test_cam_head_validates_arguments():
    with pytest.raises(ValueError, match='num_classes'):
        CAMHead(in_channels=8, num_classes=1)
    with pytest.raises(ValueError, match='loss_weight'):
        CAMHead(in_channels=8, num_classes=3, loss_weight=-1)
    with pytest.raises(ValueError, match='refine_temperature'):
        CAMHead(in_channels=8, num_classes=3, refine_temperature=0)


def test_cosine_affinity_keeps_dissimilar_positions_apart():
    feats = torch.zeros(1, 2, 1, 3)
    feats[0, 0, 0, 0] = 1.0  # position 0 points along channel 0
    feats[0, 1, 0, 1:] = 1.0  # positions 1, 2 along channel 1
    affinity = cosine_affinity(feats, temperature=0.1)
    assert torch.allclose(affinity.sum(-1), torch.ones(1, 3))
    # cos = 0 across groups, 1 within: weights e^0 vs e^10.
    assert affinity[0, 0, 0] > 0.999
    assert affinity[0, 1, 0] < 1e-4
    assert affinity[0, 1, 2] == pytest.approx(0.5, abs=1e-4)
    with pytest.raises(ValueError, match='temperature'):
        cosine_affinity(feats, 0.0)


@pytest.mark.parametrize('detach', [False, True])
def test_cam_head_detach_input(detach):
    head = CAMHead(in_channels=8, num_classes=3, detach_input=detach)
    feats = torch.randn(2, 8, 4, 4, requires_grad=True)
    seg = torch.tensor([[[0, 1], [1, 2]], [[0, 0], [2, 2]]])
    head.loss([feats], _samples(seg))['loss_cls'].backward()
    assert (feats.grad is None) == detach
    assert head.classifier.weight.grad.abs().sum() > 0
