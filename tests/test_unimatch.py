"""UniMatch / FixMatch against hand-worked numbers and a transcription of
the release's training step (LiheYoung/UniMatch ``unimatch.py``, as
../shared/unimatch-spec.md Sec. 1 states it), on fixed tensors."""
import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmseg.registry import MODELS
from mmseg_pseudoseg.datasets.transforms import (RandomColorJitter,
                                                 RandomCutMixBox,
                                                 RandomGaussianBlur,
                                                 sample_cutmix_box)
from mmseg_pseudoseg.models.losses.soft_cross_entropy_loss import \
    soft_cross_entropy
from mmseg_pseudoseg.models.utils import cutmix
from .conftest import REPO

UNIMATCH_TOY = f'{REPO}/configs/unimatch/toy.py'
FIXMATCH_TOY = f'{REPO}/configs/fixmatch/toy.py'
SIZE = 32


# ----------------------------------------------------------------------
# The release's step, transcribed (names as in unimatch.py). Inputs: the
# batch and the network outputs at input size (the release's model
# upsamples inside its forward).
def release_step(mask_x, ignore_mask, cutmix_box1, cutmix_box2,
                 ignore_mask_mix, pred_u_w_mix, preds, preds_fp, pred_u_s,
                 conf_thresh, num_views=2):
    num_lb = mask_x.shape[0]
    conf_u_w_mix = pred_u_w_mix.softmax(dim=1).max(dim=1)[0]
    mask_u_w_mix = pred_u_w_mix.argmax(dim=1)
    pred_x, pred_u_w = preds.split([num_lb, preds.shape[0] - num_lb])
    pred_u_w = pred_u_w.detach()
    conf_u_w = pred_u_w.softmax(dim=1).max(dim=1)[0]
    mask_u_w = pred_u_w.argmax(dim=1)
    criterion_l = nn.CrossEntropyLoss(ignore_index=255)
    criterion_u = nn.CrossEntropyLoss(reduction='none')
    out = dict(loss_x=criterion_l(pred_x, mask_x))
    for k, (box, pred_s) in enumerate(
            zip((cutmix_box1, cutmix_box2)[:num_views],
                pred_u_s.chunk(num_views)), 1):
        mask_cm, conf_cm, ignore_cm = (mask_u_w.clone(), conf_u_w.clone(),
                                       ignore_mask.clone())
        mask_cm[box == 1] = mask_u_w_mix[box == 1]
        conf_cm[box == 1] = conf_u_w_mix[box == 1]
        ignore_cm[box == 1] = ignore_mask_mix[box == 1]
        loss = criterion_u(pred_s, mask_cm)
        loss = loss * ((conf_cm >= conf_thresh) & (ignore_cm != 255))
        out[f'loss_u_s{k}'] = loss.sum() / (ignore_cm != 255).sum().item()
        out[f'targets{k}'] = (mask_cm, conf_cm, ignore_cm != 255)
    if preds_fp is not None:
        pred_u_w_fp = preds_fp[num_lb:]
        loss = criterion_u(pred_u_w_fp, mask_u_w)
        loss = loss * ((conf_u_w >= conf_thresh) & (ignore_mask != 255))
        out['loss_u_w_fp'] = loss.sum() / (ignore_mask != 255).sum().item()
        out['loss'] = (out['loss_x'] + out['loss_u_s1'] * 0.25 +
                       out['loss_u_s2'] * 0.25 + out['loss_u_w_fp'] * 0.5) / 2
    else:  # fixmatch.py
        out['loss'] = (out['loss_x'] + out['loss_u_s1']) / 2.0
    return out


def release_paste(img_u_s, img_u_s_mix, cutmix_box):
    """The release's in-place CutMix of a strong batch."""
    img_u_s = img_u_s.clone()
    where = cutmix_box.unsqueeze(1).expand(img_u_s.shape) == 1
    img_u_s[where] = img_u_s_mix[where]
    return img_u_s


# ----------------------------------------------------------------------
def _samples(shapes, boxes=None, gt=None):
    samples = []
    for i, shape in enumerate(shapes):
        s = SegDataSample(metainfo=dict(img_shape=shape, pad_shape=(SIZE,
                                                                    SIZE)))
        if boxes is not None:
            s.set_metainfo(dict(cutmix_box=boxes[i]))
        if gt is not None:
            s.gt_sem_seg = PixelData(data=gt[i][None])
        samples.append(s)
    return samples


def _ignore_mask(shapes):
    """The release's ignore mask: 255 on the padding, 0 in the image."""
    mask = torch.full((len(shapes), SIZE, SIZE), 255, dtype=torch.long)
    for i, (h, w) in enumerate(shapes):
        mask[i, :h, :w] = 0
    return mask


def _box_mask(boxes):
    mask = torch.zeros((len(boxes), SIZE, SIZE), dtype=torch.long)
    for i, box in enumerate(boxes):
        if box is not None:
            y1, x1, y2, x2 = box
            mask[i, y1:y2, x1:x2] = 1
    return mask


@pytest.fixture
def fixed_batch():
    g = torch.Generator().manual_seed(0)
    shapes = dict(
        sup=[(SIZE, SIZE), (24, 28)],
        weak=[(SIZE, 20), (SIZE, SIZE)],
        mix_weak=[(16, SIZE), (SIZE, SIZE)])
    boxes = dict(strong1=[(4, 6, 20, 30), None], strong2=[None, (0, 0, 12, 9)])
    gt = torch.randint(0, 4, (2, SIZE, SIZE), generator=g)
    for i, (h, w) in enumerate(shapes['sup']):
        gt[i, h:], gt[i, :, w:] = 255, 255
    inputs = {
        b: torch.randn(2, 3, SIZE, SIZE, generator=g)
        for b in ('sup', 'weak', 'strong1', 'strong2', 'mix_weak',
                  'mix_strong1', 'mix_strong2')
    }
    samples = dict(
        sup=_samples(shapes['sup'], gt=gt),
        weak=_samples(shapes['weak']),
        strong1=_samples(shapes['weak'], boxes['strong1']),
        strong2=_samples(shapes['weak'], boxes['strong2']),
        mix_weak=_samples(shapes['mix_weak']),
        mix_strong1=_samples(shapes['mix_weak']),
        mix_strong2=_samples(shapes['mix_weak']))
    return inputs, samples, shapes, boxes, gt


def _model(path, **kwargs):
    cfg = Config.fromfile(path).model
    cfg.update(kwargs)
    return MODELS.build(cfg).train()


def _record(model):
    """Backbone inputs and decode-head outputs of every forward, in
    order."""
    seen = dict(inputs=[], logits=[])
    model.segmentor.backbone.register_forward_pre_hook(
        lambda m, args: seen['inputs'].append(args[0].detach().clone()))
    head = model.segmentor.decode_head
    forward = head.forward  # called directly, so no module hook fires

    def recorded(*args, **kwargs):
        out = forward(*args, **kwargs)
        seen['logits'].append(out.detach().clone())
        return out

    head.forward = recorded
    return seen


def _up(x):
    return F.interpolate(
        x, size=(SIZE, SIZE), mode='bilinear', align_corners=True)


@pytest.mark.parametrize('method', ['unimatch', 'fixmatch'])
def test_step_matches_the_release_transcription(method, fixed_batch):
    inputs, samples, shapes, boxes, gt = fixed_batch
    views = 2 if method == 'unimatch' else 1
    # A threshold that keeps some pixels and drops others of this untrained
    # model, so that the masks matter.
    model = _model(
        UNIMATCH_TOY if views == 2 else FIXMATCH_TOY, conf_thresh=0.3)
    seen = _record(model)
    targets = []
    real_ce = model.confident_ce
    model.confident_ce = lambda *a: targets.append(a[1:]) or real_ce(*a)
    if views == 1:
        for key in ('strong2', 'mix_strong2'):
            del inputs[key], samples[key]
    losses = model.loss(copy.deepcopy(inputs), samples)

    # Forwards: the mix batch (eval), cat(sup, weak), the mixed strong
    # views, in the release's order.
    assert len(seen['inputs']) == 3
    assert torch.equal(seen['inputs'][0], inputs['mix_weak'])
    assert torch.equal(seen['inputs'][1],
                       torch.cat([inputs['sup'], inputs['weak']]))
    pasted = [
        release_paste(inputs[f'strong{k}'], inputs[f'mix_strong{k}'],
                      _box_mask(boxes[f'strong{k}']))
        for k in range(1, views + 1)
    ]
    assert torch.equal(seen['inputs'][2], torch.cat(pasted))
    joint = seen['logits'][1]
    preds, preds_fp = (joint.chunk(2) if views == 2 else (joint, None))
    ref = release_step(
        gt, _ignore_mask(shapes['weak']), _box_mask(boxes['strong1']),
        _box_mask(boxes['strong2']), _ignore_mask(shapes['mix_weak']),
        _up(seen['logits'][0]), _up(preds),
        None if preds_fp is None else _up(preds_fp), _up(seen['logits'][2]),
        0.3, views)

    # The mixed labels, confidences and valid masks of each strong view.
    for k in range(1, views + 1):
        labels, conf, valid = targets[k - 1]
        want = ref[f'targets{k}']
        assert torch.equal(labels, want[0])
        torch.testing.assert_close(conf, want[1])
        assert torch.equal(valid, want[2])
        kept = (valid & (conf >= 0.3)).float().mean()
        assert 0 < kept < 1
    # Each term with its weight, and the total mmengine sums.
    close = dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(losses['sup_decode.loss_ce'],
                               0.5 * ref['loss_x'], **close)
    w = 0.125 if views == 2 else 0.5
    for k in range(1, views + 1):
        torch.testing.assert_close(losses[f'unsup_loss_strong{k}'],
                                   w * ref[f'loss_u_s{k}'], **close)
    if views == 2:
        torch.testing.assert_close(losses['unsup_loss_fp'],
                                   0.25 * ref['loss_u_w_fp'], **close)
    else:
        assert 'unsup_loss_fp' not in losses
    total = sum(v for k, v in losses.items() if 'loss' in k)
    torch.testing.assert_close(total, ref['loss'], **close)


def test_gradients_skip_the_weak_targets_and_the_mix_pass(fixed_batch):
    inputs, samples, *_ = fixed_batch
    model = _model(UNIMATCH_TOY, conf_thresh=0.0)
    for key in ('weak', 'mix_weak', 'mix_strong1'):
        inputs[key].requires_grad_(True)
    losses = model.loss(inputs, samples)
    (losses['unsup_loss_strong1'] + losses['unsup_loss_strong2']).backward(
        retain_graph=True)
    # Pseudo labels are detached; the mix batch's targets had no graph.
    assert inputs['weak'].grad is None
    assert inputs['mix_weak'].grad is None
    assert inputs['mix_strong1'].grad.abs().sum() > 0  # pasted pixels
    losses['unsup_loss_fp'].backward(retain_graph=True)
    assert inputs['weak'].grad.abs().sum() > 0  # the perturbed pass
    losses['sup_decode.loss_ce'].backward()
    assert inputs['mix_weak'].grad is None


def test_mix_pass_is_in_eval_mode_and_keeps_bn_statistics(fixed_batch):
    inputs, samples, *_ = fixed_batch
    model = _model(UNIMATCH_TOY)
    bn = model.segmentor.backbone.stem[1]
    modes = []
    bn.register_forward_hook(lambda m, i, o: modes.append(m.training))
    model.loss(inputs, samples)
    assert modes == [False, True, True]
    assert model.training and bn.training


# ----------------------------------------------------------------------
# Hand-worked numbers.
def test_confident_cross_entropy_hand_worked():
    # Pixel a: logits (ln 3, 0) -> p = (3/4, 1/4), label 0, confident:
    # CE = ln(4/3). Pixel b: not confident (kept out of the sum, counted in
    # the normaliser). Pixel c: padding (in neither).
    logits = torch.tensor([[[[math.log(3), 5.0, 1.0]], [[0.0, 0.0, 9.0]]]])
    labels = torch.tensor([[[0, 1, 1]]])
    conf = torch.tensor([[[0.99, 0.5, 0.99]]])
    valid = torch.tensor([[[True, True, False]]])
    model = _model(UNIMATCH_TOY)
    got = model.confident_ce(logits, labels, conf, valid)
    torch.testing.assert_close(got, torch.tensor(math.log(4 / 3) / 2))
    # Soft one-hot targets give the same loss (one masked CE).
    onehot = F.one_hot(labels, 2).permute(0, 3, 1, 2).float()
    torch.testing.assert_close(
        soft_cross_entropy(logits, onehot, valid & (conf >= 0.95),
                           valid.sum()), got)


def test_cutmix_hand_worked():
    own = torch.tensor([[[1, 2], [3, 4]]])
    other = torch.tensor([[[5, 6], [7, 8]]])
    box = torch.tensor([[[False, True], [False, True]]])
    assert cutmix(own, other, box).tolist() == [[[1, 6], [3, 8]]]
    img = own[:, None].repeat(1, 3, 1, 1).float()
    mixed = cutmix(img, other[:, None].repeat(1, 3, 1, 1).float(), box)
    assert mixed[0, 2].tolist() == [[1, 6], [3, 8]]


def test_argument_and_batch_errors(fixed_batch):
    cfg = Config.fromfile(UNIMATCH_TOY).model
    for key, value, match in (('conf_thresh', 1.5, 'conf_thresh'),
                              ('strong_weights', (), 'strong_weights'),
                              ('fp_weight', -1.0, 'fp_weight'),
                              ('fp_dropout', 1.0, 'fp_dropout')):
        with pytest.raises(ValueError, match=match):
            MODELS.build(dict(copy.deepcopy(cfg), **{key: value}))
    inputs, samples, *_ = fixed_batch
    model = MODELS.build(cfg)
    del inputs['mix_weak']
    with pytest.raises(KeyError, match='with_mix=True'):
        model.loss(inputs, samples)


# ----------------------------------------------------------------------
# The strong view's data transforms.
def release_cutmix_box(img_size, rng, p=0.5, size_min=0.02, size_max=0.4,
                       ratio_1=0.3, ratio_2=1 / 0.3):
    """The release's ``obtain_cutmix_box`` (square crop), as a box; the
    probability draw on the same RNG."""
    if rng.random_sample() >= p:
        return None
    size = rng.uniform(size_min, size_max) * img_size * img_size
    while True:
        ratio = rng.uniform(ratio_1, ratio_2)
        cutmix_w = int(np.sqrt(size / ratio))
        cutmix_h = int(np.sqrt(size * ratio))
        x = rng.randint(0, img_size)
        y = rng.randint(0, img_size)
        if x + cutmix_w <= img_size and y + cutmix_h <= img_size:
            break
    return y, x, y + cutmix_h, x + cutmix_w


def test_cutmix_box_sampler_matches_the_release_and_its_distribution():
    n, crop = 4000, 321
    ours = [
        sample_cutmix_box((crop, crop), rng=np.random.RandomState(s))
        for s in range(n)
    ]
    ref = [release_cutmix_box(crop, np.random.RandomState(s))
           for s in range(n)]
    assert ours == ref
    boxes = np.array([b for b in ours if b is not None])
    assert abs(len(boxes) / n - 0.5) < 0.03  # p = 0.5 (sd 0.008)
    y1, x1, y2, x2 = boxes.T
    assert (y1 >= 0).all() and (x1 >= 0).all()
    assert (y2 <= crop).all() and (x2 <= crop).all()  # inside the crop
    h, w = y2 - y1, x2 - x1
    area = h * w / crop**2
    # Area U(0.02, 0.4), less the int() truncation of each side.
    assert area.max() <= 0.4 and area.min() >= 0.02 * 0.85
    counts = np.histogram(area, bins=4, range=(0.02, 0.4))[0] / len(area)
    assert np.allclose(counts, 0.25, atol=0.04)
    ratio = h / w
    assert ratio.min() >= 0.3 * 0.9 and ratio.max() <= 1 / 0.3 * 1.1
    # Corner: uniform among the placements that fit.
    assert abs(np.mean(x1 / (crop - w + 1)) - 0.5) < 0.03


def test_cutmix_box_transform_records_a_box():
    np.random.seed(3)
    results = RandomCutMixBox(crop_size=(20, 30), prob=1.0,
                              key='cutmix_box1')(dict(img=np.zeros((9, 9,
                                                                    3))))
    y1, x1, y2, x2 = results['cutmix_box1']
    assert 0 <= y1 < y2 <= 20 and 0 <= x1 < x2 <= 30
    with pytest.raises(ValueError, match='prob'):
        RandomCutMixBox(crop_size=(8, 8), prob=2.0)


def test_colour_jitter_follows_torchvision_semantics():
    img = np.full((4, 4, 3), 100, np.uint8)
    # Brightness alone: a factor in U(0.5, 1.5) multiplies every pixel;
    # with p = 0.8 a fifth of the images stay unchanged.
    jitter = RandomColorJitter(brightness=0.5, contrast=0, saturation=0,
                               hue=0, prob=0.8)
    np.random.seed(0)
    values = np.array(
        [jitter(dict(img=img.copy()))['img'][0, 0, 0] for _ in range(600)])
    unchanged = values == 100
    assert abs(unchanged.mean() - 0.2) < 0.05
    factors = values[~unchanged] / 100
    assert factors.min() >= 0.49 and factors.max() <= 1.5
    assert abs(factors.mean() - 1.0) < 0.04
    # Saturation 0 of a colour is its PIL grey (0.299 R + 0.587 G +
    # 0.114 B); hue is a cyclic shift: red (BGR 0, 0, 255) by 1/3 turn is
    # green.
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    grey = RandomColorJitter(0, 0, (1.0), 0, prob=1.0)
    grey.ranges['saturation'] = (0.0, 0.0)
    out = grey(dict(img=red.copy()))['img']
    assert np.abs(out.astype(int) - 76).max() <= 1
    shift = RandomColorJitter(0, 0, 0, 0.5, prob=1.0)
    shift.ranges['hue'] = (1 / 3, 1 / 3)
    out = shift(dict(img=red.copy()))['img'][0, 0]
    assert out[1] > 250 and out[0] < 5 and out[2] < 5
    with pytest.raises(ValueError, match='hue'):
        RandomColorJitter(hue=0.6)


def test_negative_hue_shift_wraps_without_mmcv_adjust_hue(monkeypatch):
    """A negative hue shift rotates backwards (mod 256 in uint8 HSV), as
    mmcv.adjust_hue did under numpy 1. mmcv's raises OverflowError under
    numpy >= 2 (np.uint8 of a negative number: UniMatch's VOC config
    crashed in its first data-loader batch on the GPU machine's numpy
    2.5), so the transform must not call it."""
    import mmcv

    from mmseg_pseudoseg.datasets.transforms.unimatch_augment import \
        shift_hue
    img = np.random.default_rng(0).integers(0, 256, (9, 11, 3), np.uint8)
    if np.lib.NumpyVersion(np.__version__) < '2.0.0':
        for value in (-0.5, -0.25, -0.034, 0.0, 0.1, 0.5):
            assert np.array_equal(shift_hue(img, value),
                                  mmcv.adjust_hue(img, value))

    def no_mmcv(*args, **kwargs):
        raise OverflowError('mmcv.adjust_hue called')

    monkeypatch.setattr(mmcv, 'adjust_hue', no_mmcv)
    # Green (BGR 0, 255, 0) shifted by -1/3 turn is red.
    green = np.zeros((2, 2, 3), np.uint8)
    green[..., 1] = 255
    back = RandomColorJitter(0, 0, 0, 0.5, prob=1.0)
    back.ranges['hue'] = (-1 / 3, -1 / 3)
    out = back(dict(img=green.copy()))['img'][0, 0]
    assert out[2] > 250 and out[0] < 5 and out[1] < 5
    with pytest.raises(ValueError, match='hue_factor'):
        shift_hue(img, -0.6)


def test_gaussian_blur_probability_and_sigma():
    blur = RandomGaussianBlur(sigma_range=(0.1, 2.0), prob=0.5)
    impulse = np.zeros((41, 41, 3), np.float32)
    impulse[20, 20] = 1000.0
    np.random.seed(0)
    sigmas = []
    for _ in range(200):
        out = blur(dict(img=impulse.copy()))['img'][..., 0]
        if out[20, 20] == 1000.0:
            continue
        rows = out.sum(axis=1)
        var = (rows * (np.arange(41) - 20)**2).sum() / rows.sum()
        sigmas.append(math.sqrt(var))
    assert abs(len(sigmas) / 200 - 0.5) < 0.1
    sigmas = np.array(sigmas)
    assert sigmas.max() <= 2.05 and sigmas.min() >= 0.0
    assert abs(np.mean(sigmas[sigmas > 0.5]) - 1.3) < 0.15  # U(0.5, 2.0)
