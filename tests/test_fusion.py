import math

import pytest
import torch

from mmseg_pseudoseg.models.utils import calibrated_fusion, joint_rms, sharpen


def test_sharpen_hand_computed():
    # [0.6, 0.4] at T=0.5: squares [0.36, 0.16], sum 0.52.
    out = sharpen(torch.tensor([[0.6, 0.4]]), temperature=0.5)
    expected = torch.tensor([[0.36, 0.16]]) / 0.52
    assert torch.allclose(out, expected, atol=1e-6)


def test_sharpen_t1_is_identity_and_rejects_bad_t():
    p = torch.softmax(torch.randn(2, 5, 3, 3), dim=1)
    assert torch.allclose(sharpen(p, 1.0), p, atol=1e-6)
    with pytest.raises(ValueError, match='temperature'):
        sharpen(p, 0.0)


def test_joint_rms_hand_computed():
    # concat of [3, 4] and [0, 0] per pixel: sqrt((9 + 16 + 0 + 0) / 4) = 2.5
    m = torch.tensor([3., 4.]).view(1, 2, 1, 1)
    s = torch.zeros(1, 2, 1, 1)
    assert joint_rms(m, s).item() == pytest.approx(2.5)
    assert joint_rms(m, s).shape == (1, 1, 1, 1)
    with pytest.raises(ValueError, match='shape'):
        joint_rms(m, torch.zeros(1, 3, 1, 1))


def test_fusion_hand_computed():
    # m = s = [1, 0]: N = sqrt((1 + 0 + 1 + 0) / 4) = 1/sqrt(2), so
    # m / N = [sqrt(2), 0] and p = sigmoid(sqrt(2)) = 0.80442 for both;
    # sharpened at T = 0.5: p^2 / (p^2 + (1 - p)^2) = 0.94418.
    m = torch.tensor([1., 0.]).view(1, 2, 1, 1)
    p = 1 / (1 + math.exp(-math.sqrt(2)))
    top = p**2 / (p**2 + (1 - p)**2)
    out = calibrated_fusion(m, m.clone(), 0.5).flatten()
    assert out[0].item() == pytest.approx(top, abs=1e-5)
    assert top == pytest.approx(0.94418, abs=1e-4)


def test_fusion_opposite_sources_cancel():
    # m = [2, 0], s = [0, 2]: the two softmaxes mirror each other, so the
    # average (and its sharpening) is exactly [0.5, 0.5].
    m = torch.tensor([2., 0.]).view(1, 2, 1, 1)
    s = torch.tensor([0., 2.]).view(1, 2, 1, 1)
    out = calibrated_fusion(m, s).flatten()
    assert torch.allclose(out, torch.tensor([0.5, 0.5]), atol=1e-6)


def test_fusion_properties():
    torch.manual_seed(0)
    m = torch.randn(2, 21, 8, 8) * 7
    s = torch.rand(2, 21, 8, 8)
    out = calibrated_fusion(m, s, 0.5)
    assert out.shape == m.shape
    assert torch.allclose(out.sum(1), torch.ones(2, 8, 8), atol=1e-5)
    # A common positive scale of both sources changes nothing.
    assert torch.allclose(calibrated_fusion(3.7 * m, 3.7 * s), out, atol=1e-5)
    # Scaling only one source does change the result: N is joint.
    assert not torch.allclose(calibrated_fusion(m, 3.7 * s), out, atol=1e-3)
    # T < 1 sharpens: the fused maximum is at least the unsharpened one.
    soft = calibrated_fusion(m, s, 1.0)
    assert (out.max(1).values >= soft.max(1).values - 1e-6).all()


def test_fusion_without_cam_is_calibrated_decoder():
    m = torch.randn(1, 4, 2, 2)
    expected = sharpen(torch.softmax(m / joint_rms(m), 1), 0.5)
    assert torch.allclose(calibrated_fusion(m, None), expected)
