"""Formula-driven pre-training of the toy backbone (as FractalDB: Kataoka
et al., ACCV 2020), so that the benchmark starts where VOC's runs do: from
a backbone pre-trained on other classes.

The set: 64x64 images of one of ``2 x len(PRETRAIN_FAMILIES)`` classes (a
pattern family of ``pattern_families.PRETRAIN_FAMILIES``, none of them a
benchmark class, in a fine (3-6 px) or coarse (6-12 px) period band) on
1-3 objects of the scenes' outlines, or on the whole frame 30% of the
time, among plain clutter on a plain background, then the scenes'
lighting and noise. Images are drawn in chunks, each seeded by (seed,
chunk), so the set does not depend on how many processes draw it.

The model: the config's backbone, built as the segmentor builds it, + a
global average pool + a linear layer. SGD Nesterov, one-cycle lr,
weight decay, label smoothing, random flips. The checkpoint holds the
backbone's state dict alone (``{'state_dict': ..., 'meta': ...}``), so
``init_cfg=dict(type='Pretrained', checkpoint=...)`` on the backbone loads
every key. Deterministic from the seed on one device (CUDA runs use
deterministic cuDNN).

A long run (the width study's widest backbone takes hours on a CPU) can
stop and go on: every ``snapshot_interval`` steps it saves its state
(weights, optimizer, lr schedule, batch generator, losses) to
``snapshot``; ``resume=True`` goes on from there, to the same bytes as a
run that never stopped on the same machine and thread count (a test
checks), and refuses a snapshot made with other settings.
"""
import copy
import hashlib
import math
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmseg_pseudoseg.datasets.pattern_families import (PRETRAIN_FAMILIES,
                                                       pattern_weights)
from mmseg_pseudoseg.datasets.toy_scenes import (colour_pair, lighting,
                                                 outline_mask, plain_surface)

BANDS = ((3.0, 6.0), (6.0, 12.0))  # period bands (px)
NUM_CLASSES = len(PRETRAIN_FAMILIES) * len(BANDS)
CHUNK = 500


def class_name(label: int) -> str:
    family = list(PRETRAIN_FAMILIES)[label // len(BANDS)]
    return f'{family}@{BANDS[label % len(BANDS)]}'


def draw_pretrain_image(rng: np.random.Generator, label: int,
                        size: Tuple[int, int] = (64, 64)) -> np.ndarray:
    """One BGR uint8 image of class ``label``."""
    h, w = size
    family = list(PRETRAIN_FAMILIES.values())[label // len(BANDS)]
    band = BANDS[label % len(BANDS)]
    img = plain_surface(rng, h, w)
    a, b = colour_pair(rng, (0.3, 1.5))
    t = pattern_weights(rng, family, h, w, band)[..., None]
    pattern = a * (1 - t) + b * t + rng.normal(0, 0.03, (h, w, 1))
    if rng.random() < 0.3:
        img = pattern
    else:
        mask = np.zeros((h, w), np.uint8)
        for _ in range(int(rng.integers(1, 4))):
            r = float(np.exp(rng.uniform(np.log(10), np.log(24))))
            mask |= outline_mask(rng, size, r)
        img[mask == 1] = pattern[mask == 1]
    for _ in range(int(rng.integers(0, 3))):  # plain clutter on top
        r = float(np.exp(rng.uniform(np.log(4), np.log(10))))
        mask = outline_mask(rng, size, r)
        img[mask == 1] = plain_surface(rng, h, w)[mask == 1]
    img = lighting(rng, img)
    return (img * 255).round().astype(np.uint8)


def _draw_chunk(args: Tuple[int, int, int, Tuple[int, int]]):
    """Images ``[start, start + count)`` of the set of ``seed``."""
    import cv2
    cv2.setNumThreads(1)
    seed, chunk, count, size = args
    rng = np.random.default_rng([seed, chunk])
    labels = rng.integers(0, NUM_CLASSES, count)
    images = np.stack([draw_pretrain_image(rng, int(c), size)
                       for c in labels])
    return images, labels


def make_pretrain_set(num: int,
                      seed: int,
                      size: Tuple[int, int] = (64, 64),
                      workers: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    """(num, H, W, 3) BGR uint8 images and (num,) int64 labels; the same
    for any ``workers``."""
    tasks = [(seed, i, min(CHUNK, num - i * CHUNK), size)
             for i in range(math.ceil(num / CHUNK))]
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(workers,
                                 mp_context=get_context('spawn')) as pool:
            parts = list(pool.map(_draw_chunk, tasks))
    else:
        parts = [_draw_chunk(t) for t in tasks]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]).astype(np.int64))


def build_backbone(config: str,
                   width: Optional[int] = None) -> Tuple[nn.Module, dict]:
    """The config's segmentor backbone (``model.backbone`` or
    ``model.segmentor.backbone``), randomly initialised, and the
    normalisation of its data preprocessor. ``width``: its stem and first
    stage's channels instead of the config's (``base_channels`` and
    ``stem_channels``; the later stages double them, as the config's)."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import mmseg_pseudoseg  # noqa: F401  (registration)
    init_default_scope('mmseg')
    cfg = Config.fromfile(config)
    seg = cfg.model.get('segmentor', cfg.model)
    backbone_cfg = copy.deepcopy(seg.backbone)
    backbone_cfg.init_cfg = None
    if width is not None:
        backbone_cfg.update(base_channels=width, stem_channels=width)
    backbone = MODELS.build(backbone_cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # init_weights logs every parameter
    try:
        backbone.init_weights()
    finally:
        logger.setLevel(level)
    pre = seg.data_preprocessor
    norm = dict(mean=list(pre.mean), std=list(pre.std),
                bgr_to_rgb=bool(pre.get('bgr_to_rgb', False)))
    return backbone, norm


class BackboneClassifier(nn.Module):
    """Backbone + global average pool of its last stage + linear."""

    def __init__(self, backbone: nn.Module, channels: int,
                 num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # mean, not adaptive pooling: its CUDA backward is deterministic.
        return self.fc(self.backbone(x)[-1].mean(dim=(2, 3)))


def _batch(images: torch.Tensor, idx: torch.Tensor, norm: dict,
           flip: torch.Tensor = None) -> torch.Tensor:
    """Normalised float (B, 3, H, W) batch of uint8 NHWC ``images``."""
    x = images[idx].permute(0, 3, 1, 2).float()
    if norm['bgr_to_rgb']:
        x = x.flip(1)
    mean = x.new_tensor(norm['mean']).view(1, 3, 1, 1)
    std = x.new_tensor(norm['std']).view(1, 3, 1, 1)
    x = (x - mean) / std
    if flip is not None:  # (B, 2) bools: horizontal, vertical
        x = torch.where(flip[:, 0, None, None, None], x.flip(3), x)
        x = torch.where(flip[:, 1, None, None, None], x.flip(2), x)
    return x


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             norm: dict, batch: int = 500) -> float:
    """Top-1 accuracy (%) in eval mode."""
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch):
        idx = torch.arange(i, min(i + batch, len(labels)))
        pred = model(_batch(images, idx.to(images.device), norm))
        correct += int((pred.argmax(1) == labels[idx.to(
            labels.device)]).sum())
    model.train()
    return 100.0 * correct / max(1, len(labels))


def _save_atomic(obj, path: str) -> None:
    """``torch.save`` to ``path`` through a temporary file, so that a
    run killed while saving leaves the previous file whole."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def default_snapshot(out: str) -> str:
    """Where the run of checkpoint ``out`` keeps its snapshot: beside the
    benchmark's work dirs, not beside the (possibly tracked) checkpoint."""
    stem = osp.splitext(osp.basename(out))[0]
    return osp.join('work_dirs', 'benchmark_pretrain',
                    f'{stem}.snapshot.pth')


def pretrain(config: str,
             out: str,
             iters: int = 4000,
             batch: int = 64,
             lr: float = 0.1,
             num_train: int = 40000,
             num_val: int = 2000,
             seed: int = 0,
             device: str = 'cpu',
             workers: int = 1,
             width: Optional[int] = None,
             snapshot: Optional[str] = None,
             snapshot_interval: int = 100,
             resume: bool = False,
             log=print) -> Dict[str, object]:
    """Draw the set, train, save the backbone to ``out`` and its SHA-256
    to ``out + '.sha256'``.

    Args:
        config (str): The benchmark config whose backbone is trained.
        out (str): Checkpoint path (``.pth``).
        iters (int): SGD steps. Defaults to 4000.
        batch (int): Images per step. Defaults to 64.
        lr (float): Peak of the one-cycle lr. Defaults to 0.1.
        num_train (int): Training images drawn. Defaults to 40000.
        num_val (int): Held-out images (another seed stream).
        seed (int): Seed of the set, the initial weights and the batches.
        device (str): ``cpu`` or ``cuda``.
        workers (int): Processes drawing the set (same set for any).
        width (int, optional): The backbone's ``base_channels`` and
            ``stem_channels`` instead of the config's (the benchmark's
            width study; recorded in the checkpoint's meta).
        snapshot (str, optional): The resumable state's file. Defaults to
            :func:`default_snapshot` of ``out``.
        snapshot_interval (int): Steps between snapshots. Defaults to 100.
        resume (bool): Go on from ``snapshot`` if it exists (else start
            afresh, as mmengine's ``resume``). The snapshot is removed
            once the checkpoint is written.

    Returns:
        dict: Settings, accuracies, seconds (this call's and, in
        ``train_seconds``, the training's over every call), the step it
        resumed from, ``sha256`` and ``path``.
    """
    if iters < 1 or batch < 1 or num_train < batch or num_val < 1:
        raise ValueError('pretrain needs iters >= 1, batch >= 1, '
                         'num_train >= batch and num_val >= 1')
    if width is not None and width < 1:
        raise ValueError(f'pretrain: width must be >= 1, got {width}')
    if snapshot_interval < 1:
        raise ValueError('pretrain: snapshot_interval must be >= 1, got '
                         f'{snapshot_interval}')
    snapshot = snapshot or default_snapshot(out)
    settings = dict(config=osp.basename(config), iters=iters, batch=batch,
                    lr=lr, num_train=num_train, num_val=num_val, seed=seed,
                    device=device, width=width)
    saved = None
    if resume and osp.isfile(snapshot):
        # weights_only: tensors, numbers and strings only.
        saved = torch.load(snapshot, map_location='cpu')
        differ = sorted(k for k in set(settings) | set(saved['settings'])
                        if settings.get(k) != saved['settings'].get(k))
        if differ:
            raise ValueError(
                f'{snapshot}: made with other settings ('
                + ', '.join(f'{k}={saved["settings"].get(k)!r}, asked '
                            f'{settings.get(k)!r}' for k in differ)
                + '); rerun with those, or remove the snapshot to start '
                'afresh')
    start = time.perf_counter()
    train_x, train_y = make_pretrain_set(num_train, seed, workers=workers)
    val_x, val_y = make_pretrain_set(num_val, seed + 10**6, workers=workers)
    data_s = time.perf_counter() - start
    log(f'drew {num_train} + {num_val} images of {NUM_CLASSES} classes in '
        f'{data_s:.0f} s')
    if device.startswith('cuda'):
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    torch.manual_seed(seed)
    backbone, norm = build_backbone(config, width)
    channels = backbone(torch.zeros(1, 3, 64, 64))[-1].shape[1]
    model = BackboneClassifier(backbone, channels, NUM_CLASSES).to(device)
    gen = torch.Generator().manual_seed(seed)
    images = torch.from_numpy(train_x).to(device)
    labels = torch.from_numpy(train_y).to(device)
    optim = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9,
                            nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, lr, total_steps=iters)
    losses, first, train_s = [], 0, 0.0
    if saved is not None:
        model.load_state_dict(saved['model'])
        optim.load_state_dict(saved['optim'])
        sched.load_state_dict(saved['sched'])
        gen.set_state(saved['gen'])
        losses, first = list(saved['losses']), int(saved['step'])
        train_s = float(saved['train_seconds'])
        log(f'resumed from {snapshot} at step {first}/{iters}')
    model.train()
    loop_start = time.perf_counter()
    for it in range(first, iters):
        idx = torch.randint(0, num_train, (batch, ), generator=gen)
        flip = torch.rand(batch, 2, generator=gen) < 0.5
        x = _batch(images, idx.to(device), norm, flip.to(device))
        loss = F.cross_entropy(model(x), labels[idx.to(device)],
                               label_smoothing=0.1)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        sched.step()
        losses.append(float(loss.detach()))
        if (it + 1) % snapshot_interval == 0 and it + 1 < iters:
            _save_atomic(dict(
                settings=settings, step=it + 1, model=model.state_dict(),
                optim=optim.state_dict(), sched=sched.state_dict(),
                gen=gen.get_state(), losses=losses,
                train_seconds=train_s + time.perf_counter() - loop_start),
                snapshot)
        if (it + 1) % max(1, iters // 10) == 0:
            log(f'iter {it + 1}/{iters}: loss '
                f'{np.mean(losses[-max(1, iters // 10):]):.3f} '
                f'({time.perf_counter() - start:.0f} s)')
    train_s += time.perf_counter() - loop_start
    val_acc = accuracy(model, torch.from_numpy(val_x).to(device),
                       torch.from_numpy(val_y).to(device), norm)
    train_acc = accuracy(model, images[:num_val], labels[:num_val], norm)
    # The run's settings but the device and width, in their order (the
    # checkpoint's bytes depend on it), then what the run measured.
    meta = {k: v for k, v in settings.items() if k not in ('device', 'width')}
    meta.update(classes=NUM_CLASSES, train_acc=round(train_acc, 2),
                val_acc=round(val_acc, 2))
    if width is not None:
        meta['width'] = width
    state = {
        k: v.detach().cpu().clone()
        for k, v in backbone.state_dict().items()
    }
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), out)
    sha = file_sha256(out)
    with open(out + '.sha256', 'w') as f:
        f.write(f'{sha}  {osp.basename(out)}\n')
    if osp.isfile(snapshot):
        os.remove(snapshot)
    return dict(meta, path=out, sha256=sha, device=device,
                data_seconds=data_s,
                train_seconds=train_s, resumed_from=first,
                seconds=time.perf_counter() - start)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()
