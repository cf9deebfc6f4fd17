"""Benchmark arithmetic against hand-worked numbers: expected calibration
error, confusion-matrix IoU, the paired t-interval and the curve's
per-class summary."""
import math

import numpy as np

import pytest
import torch

from mmseg_pseudoseg.evaluation import (bin_index, calibration_bins,
                                        confusion_matrix, ece_from_bins,
                                        expected_calibration_error,
                                        paired_interval,
                                        scores_from_confusion,
                                        student_t_quantile)


# ----------------------------------------------------------------------
# Calibration and IoU arithmetic.
def test_two_bin_ece_by_hand():
    # Bins (0, 0.5] and (0.5, 1].
    # Bin 1: confidences 0.2, 0.4 (mean 0.3), right 1 of 2 (acc 0.5):
    #   |0.5 - 0.3| = 0.2, weight 2/4.
    # Bin 2: confidences 0.6, 0.9 (mean 0.75), right 2 of 2 (acc 1.0):
    #   |1.0 - 0.75| = 0.25, weight 2/4.
    # ECE = 0.5 * 0.2 + 0.5 * 0.25 = 0.225.
    conf = torch.tensor([0.2, 0.4, 0.6, 0.9], dtype=torch.float64)
    correct = torch.tensor([False, True, True, True])
    assert expected_calibration_error(conf, correct, 2) == pytest.approx(
        0.225, abs=1e-12)
    count, conf_sum, hits = calibration_bins(conf, correct, 2)
    assert count.tolist() == [2, 2]
    assert conf_sum.tolist() == pytest.approx([0.6, 1.5])
    assert hits.tolist() == [1, 2]


def test_ece_bins_are_closed_on_the_right_and_accumulate():
    # 0 and 0.5 fall in (0, 0.5] (0 joins the first bin), 1 in the last.
    conf = torch.tensor([0.0, 0.5, 0.5000001, 1.0], dtype=torch.float64)
    assert bin_index(conf, 2).tolist() == [0, 0, 1, 1]
    assert bin_index(torch.tensor([0.06, 0.07, 0.99]), 15).tolist() == [
        0, 1, 14
    ]
    # A perfectly calibrated set: in each bin accuracy = confidence.
    conf = torch.tensor([0.25] * 4 + [0.75] * 4)
    correct = torch.tensor([1, 0, 0, 0, 1, 1, 1, 0]).bool()
    assert expected_calibration_error(conf, correct, 2) == 0.0
    # Summing the bins of two halves gives the ECE of the whole.
    rng = torch.Generator().manual_seed(0)
    conf = torch.rand(1000, generator=rng)
    correct = torch.rand(1000, generator=rng) < conf**2
    halves = [calibration_bins(c, k) for c, k in
              zip(conf.split(500), correct.split(500))]
    summed = [a + b for a, b in zip(*halves)]
    assert ece_from_bins(*summed) == pytest.approx(
        expected_calibration_error(conf, correct))


def test_confusion_and_iou_by_hand():
    # gt   : 0 1 2 2 255      pred: 0 1 1 2 0   (K = 3, 255 skipped)
    # cm (rows gt): [[1,0,0],[0,1,0],[0,1,1]]
    # IoU0 = 1/(1+1-1) = 1, IoU1 = 1/(1+2-1) = 1/2, IoU2 = 1/(2+1-1) = 1/2
    # mIoU = 2/3, pixel accuracy = 3/4.
    gt = torch.tensor([0, 1, 2, 2, 255])
    pred = torch.tensor([0, 1, 1, 2, 0])
    cm = confusion_matrix(pred, gt, 3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    scores = scores_from_confusion(cm)
    assert scores['iou'] == pytest.approx([1, 0.5, 0.5])
    assert scores['miou'] == pytest.approx(2 / 3)
    assert scores['acc'] == pytest.approx(0.75)
    # A class absent from ground truth and predictions has no IoU and is
    # left out of the mean (mmseg's nanmean).
    scores = scores_from_confusion(confusion_matrix(pred, gt, 4))
    assert math.isnan(scores['iou'][3])
    assert scores['miou'] == pytest.approx(2 / 3)


# ----------------------------------------------------------------------
# Paired intervals.
def test_paired_t_interval_of_three_differences_by_hand():
    # d = (1, 2, 6) - (0, 0, 0): mean 3; deviations -2, -1, 3, squares
    # 4 + 1 + 9 = 14, sd = sqrt(14 / 2) = sqrt(7) = 2.6458;
    # se = sqrt(7) / sqrt(3) = 1.5275; t(0.975, 2 df) = 4.3027;
    # half width = 4.3027 * 1.5275 = 6.5724 -> [-3.5724, 9.5724].
    r = paired_interval([1, 2, 6], [0, 0, 0])
    assert r['mean'] == pytest.approx(3)
    assert r['std'] == pytest.approx(math.sqrt(7))
    assert r['half_width'] == pytest.approx(6.5724, abs=1e-4)
    assert (r['low'], r['high']) == pytest.approx((-3.5724, 9.5724),
                                                  abs=1e-4)
    # Only the differences matter: shifting both arms changes nothing.
    assert paired_interval([51, 62, 76], [50, 60, 70])['half_width'] == \
        pytest.approx(r['half_width'])
    assert math.isnan(paired_interval([1.0], [0.0])['half_width'])
    with pytest.raises(ValueError, match='as many values'):
        paired_interval([1, 2], [1])


def test_student_t_quantiles_match_the_tables():
    # Two-sided 95% critical values from any t table.
    for df, t in ((1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622),
                  (30, 2.0423)):
        assert student_t_quantile(0.975, df) == pytest.approx(t, abs=1e-4)
    assert student_t_quantile(0.025, 4) == pytest.approx(-2.7764, abs=1e-4)
    assert student_t_quantile(0.5, 3) == 0.0


def test_per_class_summary_by_hand():
    from mmseg_pseudoseg.benchmarks.per_class import (
        format_per_class, summarise_per_class)

    # Seed 0: IoU 8 / (10 + 9 - 8) and 9 / (10 + 11 - 9), mIoU 73.86;
    # seed 1 never predicts class 1 (IoU 0: a collapsed class), IoU of
    # class 0 10 / 15, mIoU 33.33.
    confusions = {
        'a/0': np.array([[8, 2], [1, 9]]),
        'a/1': np.array([[10, 0], [5, 0]]),
        'b/0': np.array([[1, 0], [0, 1]]),
    }
    runs = [
        dict(key='a/1', kind='a', denominator=4, seed=1, miou=100 / 3),
        dict(key='a/0', kind='a', denominator=4, seed=0, miou=73.8),
        dict(key='b/0', kind='b', denominator=4, seed=0, miou=100.0),
        dict(key='c/0', kind='c', denominator=4, seed=0, miou=50.0),
    ]
    groups = summarise_per_class(runs, confusions)
    assert [(g['kind'], g['seeds'])
            for g in groups] == [('a', [0, 1]), ('b', [0])]
    a = groups[0]
    iou0 = (800 / 11 + 200 / 3) / 2
    assert a['iou'][0]['mean'] == pytest.approx(iou0)
    assert a['iou'][0]['std'] == pytest.approx(
        (800 / 11 - 200 / 3) / math.sqrt(2))
    assert a['iou'][1]['mean'] == pytest.approx(37.5)
    assert a['iou'][1]['std'] == pytest.approx(75 / math.sqrt(2))
    assert np.allclose(a['rows'], [[0.9, 0.1], [0.55, 0.45]])
    assert a['collapsed'] == 1
    # |(800 / 11 + 75) / 2 - 73.8|: the logged mIoU of seed 0 is off.
    assert a['miou_gap'] == pytest.approx(abs((800 / 11 + 75) / 2 - 73.8))
    assert groups[1]['collapsed'] == 0
    table = format_per_class(groups, ['bg', 'fg'])
    assert '| a | 1/4 | 2 | 69.7 +- 4.3 | 37.5 +- 53.0 | 1/2 |' in table
    assert '| a | 1/4 | fg | 0.550 | 0.450 |' in table


def test_background_shares_and_cam_coverage_by_hand():
    from mmseg_pseudoseg.benchmarks.calibration import (background_shares,
                                                        coverage_scores,
                                                        object_coverage)
    # Rows ground truth: class 1 has 4 pixels, 1 called background; class 2
    # has 6, 3 called background; class 3 has none.
    cm = torch.tensor([[5, 0, 0, 0], [1, 3, 0, 0], [3, 1, 2, 0],
                       [0, 0, 0, 0]])
    shares = background_shares(cm)
    assert shares['to_background'][:3] == [1.0, 0.25, 0.5]
    assert math.isnan(shares['to_background'][3])
    assert shares['fg_to_bg'] == pytest.approx(4 / 10)
    # One 1x4 image: pixels of class 1, 1, 2, background; the last class-1
    # pixel is unknown (e.g. CutOut). Class 1's CAM: 0.8 then 0.3; class
    # 2's: 0 (not given).
    gt = torch.tensor([[[1, 1, 2, 0]]])
    known = torch.tensor([[[True, False, True, True]]])
    cam = torch.tensor([[[[0.8, 0.3, 0.9, 0.9]], [[0.0, 0.0, 0.0, 0.0]]]])
    counts = object_coverage(cam, gt, known)
    assert counts.tolist() == [[1, 0], [1, 0], [1, 1]]
    gt2 = torch.tensor([[[1, 1, 0, 0]]])
    cam2 = torch.tensor([[[[0.3, 0.6, 0.0, 0.0]], [[0.0] * 4]]])
    counts = counts + object_coverage(cam2, gt2, torch.ones_like(known))
    # Class 1 over both images: 3 known pixels, CAM > 0 on all, > 0.5 on 2.
    scores = coverage_scores(counts)
    assert scores['pixels'] == [3, 1]
    assert scores['>0']['per_class'] == [1.0, 0.0]
    assert scores['>0.5']['per_class'] == pytest.approx([2 / 3, 0.0])
    assert scores['>0.5']['all'] == pytest.approx(2 / 4)
