import math

import pytest
import torch

from mmseg_pseudoseg.models.utils import calibrated_fusion, joint_rms, sharpen


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def _sharpen2(p, t=0.5):
    """Sharpen a two-class distribution [p, 1 - p] by hand."""
    return p**(1 / t) / (p**(1 / t) + (1 - p)**(1 / t))


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


def test_joint_rms_is_one_scalar_over_everything():
    # m: pixel 0 = [3, 4], pixel 1 = [0, 0]; s: zeros. Squares sum to 25
    # over 8 elements: N = sqrt(25 / 8 + 1e-8).
    m = torch.tensor([[[[3., 0.]], [[4., 0.]]]])  # (1, 2, 1, 2)
    s = torch.zeros_like(m)
    n = joint_rms(m, s)
    assert n.dim() == 0
    assert n.item() == pytest.approx(math.sqrt(25 / 8 + 1e-8))
    # All zeros: sqrt(eps), finite.
    assert joint_rms(s).item() == pytest.approx(1e-4)
    with pytest.raises(ValueError, match='at least one'):
        joint_rms()


# Hand-worked fusion, B=1, K=2, H=1, W=2:
#   m: pixel 0 = [2, 0], pixel 1 = [0, 0];  s: zeros.
#   N = sqrt((4 + 0 + 0 + 0 + 0 * 4) / 8) = sqrt(0.5) = 0.70711 (one scalar)
#   pixel 0: softmax(m / N) = [sigmoid(2 / 0.70711), .] = [0.94419, .],
#            softmax(s / N) = [0.5, 0.5], mean [0.72209, 0.27791],
#            sharpened (T = 0.5): 0.72209^2 / (0.72209^2 + 0.27791^2)
#            = 0.52142 / 0.59866 = 0.87099
#   pixel 1: every input uniform -> [0.5, 0.5].
HAND_M = torch.tensor([[[[2., 0.]], [[0., 0.]]]])
HAND_PIXEL0 = _sharpen2((_sigmoid(2 / math.sqrt(0.5)) + 0.5) / 2)


def test_fusion_hand_computed_with_one_scale():
    assert HAND_PIXEL0 == pytest.approx(0.87099, abs=1e-5)
    out = calibrated_fusion(HAND_M, torch.zeros_like(HAND_M), 0.5)
    assert out[0, 0, 0, 0].item() == pytest.approx(HAND_PIXEL0, abs=1e-5)
    assert out[0, :, 0, 1].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)


def test_a_per_pixel_scale_would_fail_the_hand_numbers():
    # Per pixel, pixel 0 has its own N = sqrt(4 / 4) = 1, so
    # softmax(m / N) = sigmoid(2) = 0.88080 and the fused value becomes
    # sharpen((0.88080 + 0.5) / 2) = 0.83257: 0.038 away from the method.
    per_pixel = _sharpen2((_sigmoid(2.0) + 0.5) / 2)
    assert per_pixel == pytest.approx(0.83257, abs=1e-5)
    assert abs(per_pixel - HAND_PIXEL0) > 0.03
    # The same per-pixel scale computed on tensors, fed through the same
    # softmax/mean/sharpen, disagrees with calibrated_fusion too.
    m, s = HAND_M, torch.zeros_like(HAND_M)
    n_pix = torch.cat([m, s], 1).square().mean(1, keepdim=True).sqrt()
    n_pix = n_pix.clamp_min(1e-4)
    per_pixel_out = sharpen(
        (torch.softmax(m / n_pix, 1) + torch.softmax(s / n_pix, 1)) / 2)
    method_out = calibrated_fusion(m, s)
    assert per_pixel_out[0, 0, 0, 0].item() == pytest.approx(
        per_pixel, abs=1e-5)
    assert not torch.allclose(per_pixel_out, method_out, atol=1e-2)


def test_fusion_keeps_confident_and_uncertain_pixels_apart():
    # Two pixels with the same logit direction but 10x different size:
    # one scale keeps the larger one more confident; a per-pixel scale
    # would make them identical.
    m = torch.tensor([[[[5., 0.5]], [[0., 0.]]]])
    out = calibrated_fusion(m, m.clone())
    assert out[0, 0, 0, 0] > out[0, 0, 0, 1] + 0.1


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
    s = torch.randn(2, 21, 8, 8)
    out = calibrated_fusion(m, s, 0.5)
    assert out.shape == m.shape
    assert torch.allclose(out.sum(1), torch.ones(2, 8, 8), atol=1e-5)
    # A common positive scale of both sources changes nothing.
    assert torch.allclose(calibrated_fusion(3.7 * m, 3.7 * s), out, atol=1e-5)
    # Scaling only one source does change the result: N is joint.
    assert not torch.allclose(calibrated_fusion(m, 3.7 * s), out, atol=1e-3)
    # The batch shares N: fusing image 0 alone gives another result.
    assert not torch.allclose(calibrated_fusion(m[:1], s[:1]), out[:1],
                              atol=1e-3)
    # T < 1 sharpens: the fused maximum is at least the unsharpened one.
    soft = calibrated_fusion(m, s, 1.0)
    assert (out.max(1).values >= soft.max(1).values - 1e-6).all()
    with pytest.raises(ValueError, match='resize'):
        calibrated_fusion(m, s[..., :4])


def test_fusion_without_scaling_and_single_source():
    torch.manual_seed(0)
    m, s = torch.randn(1, 4, 2, 2) * 5, torch.randn(1, 4, 2, 2)
    raw = sharpen((torch.softmax(m, 1) + torch.softmax(s, 1)) / 2)
    assert torch.allclose(calibrated_fusion(m, s, calibrate=False), raw)
    # The decoder-only ablation: softmax and sharpen, no scaling.
    assert torch.allclose(
        calibrated_fusion(m, None), sharpen(torch.softmax(m, 1), 0.5))
