"""What one PseudoSeg training step costs, pass by pass.

On one labeled batch of B images (and B unlabeled ones), measures after
warm-up, in one process:

- the whole ``train_step`` of the supervised segmentor, of PseudoSeg, and
  of PseudoSeg with the classifier/SGC pass on the train-mode weak
  features (``weak_inference_pass=False``);
- each pass of the PseudoSeg step on its own (labeled forward+backward with
  the classifier and SGC losses, weak train-mode forward, weak
  inference-mode backbone + classifier, SGC, fusion, strong
  forward+backward, optimizer step, preprocessing), whose sum is the floor
  of the step: what it must cost if nothing else runs;
- peak memory of the measured steps over the memory held before them
  (weights, optimizer state): ``torch.cuda.max_memory_allocated`` on a
  GPU; on a Linux CPU the growth of the peak resident set (``VmHWM``, reset
  through ``/proc/self/clear_refs``), measured in a fresh process whose
  allocator returns every block over 64 KiB to the system when it is freed
  (``MALLOC_MMAP_THRESHOLD_``), so the resident set follows the live
  tensors instead of the allocator's cache.
"""
import copy
import os
import time
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Callable, Dict, Iterator, List, Optional

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..models.segmentors.semi_base import eval_mode as _eval_mode
from ..models.segmentors.semi_base import multi_branch_preprocessor
from ..models.utils.fusion import calibrated_fusion
from ..models.utils.masks import valid_region_mask

# Fixed glibc thresholds: blocks over 64 KiB are mmapped and unmapped on
# free, the heap is trimmed, so the resident set follows live memory.
_MALLOC_ENV = dict(
    MALLOC_MMAP_THRESHOLD_='65536', MALLOC_TRIM_THRESHOLD_='131072')
PASSES = ('preprocess', 'labeled fwd+bwd (seg + cls + SGC losses)',
          'weak fwd, train mode', 'weak fwd, inference mode + classifier',
          'SGC (Grad-CAM + attention)', 'fusion',
          'strong fwd+bwd (consistency)', 'optimizer step')


def fake_batch(batch: int, crop: int, num_classes: int,
               semi: bool) -> dict:
    """Random uint8 images and labels in the layout of a data loader's
    batch: plain (supervised) or ``sup``/``weak``/``strong`` branches."""

    def branch(with_labels):
        inputs, samples = [], []
        for _ in range(batch):
            inputs.append(torch.randint(0, 256, (3, crop, crop),
                                        dtype=torch.uint8))
            meta = dict(img_shape=(crop, crop), ori_shape=(crop, crop),
                        pad_shape=(crop, crop))
            sample = SegDataSample(metainfo=meta)
            if with_labels:
                sample.gt_sem_seg = PixelData(data=torch.randint(
                    0, num_classes, (1, crop, crop)))
            samples.append(sample)
        return inputs, samples

    sup = branch(True)
    if not semi:
        return dict(inputs=sup[0], data_samples=sup[1])
    weak = branch(False)
    strong = [copy.deepcopy(s) for s in weak[1]]
    for s in strong:  # a CutOut box, as the strong pipeline records it
        s.set_metainfo(dict(cutout_box=(0, 0, crop // 5, crop // 5)))
    return dict(
        inputs=dict(sup=sup[0], weak=weak[0], strong=list(weak[0])),
        data_samples=dict(sup=sup[1], weak=weak[1], strong=strong))


def fake_branch_batch(branches, batch: int, crop: int,
                      num_classes: int) -> dict:
    """A random batch with the named ``branches`` of any semi-supervised
    model (:attr:`SemiBaseSegmentor.branches`): ``sup`` with labels, the
    unlabeled views as copies of one image batch (a ``mix_*`` view of
    another), a CutOut box on ``strong`` and a CutMix box on the numbered
    strong views, as their pipelines record them."""
    sup = fake_batch(batch, crop, num_classes, semi=False)
    inputs, samples = dict(sup=sup['inputs']), dict(sup=sup['data_samples'])
    pools = {}
    for name in branches:
        if name == 'sup':
            continue
        pool = 'mix' if name.startswith('mix_') else 'own'
        if pool not in pools:
            pools[pool] = fake_batch(batch, crop, num_classes, semi=False)
        inputs[name] = list(pools[pool]['inputs'])
        samples[name] = []
        for s in pools[pool]['data_samples']:
            s = SegDataSample(metainfo=s.metainfo)
            view = name[len('mix_'):] if pool == 'mix' else name
            if view == 'strong':
                s.set_metainfo(dict(cutout_box=(0, 0, crop // 5, crop // 5)))
            elif view.startswith('strong'):
                s.set_metainfo(dict(cutmix_box=(0, 0, crop // 2, crop // 2)))
            samples[name].append(s)
    return dict(inputs=inputs, data_samples=samples)


def bench_methods(method_cfgs: Dict[str, dict],
                  batch: int,
                  crop: int,
                  iters: int,
                  warmup: int,
                  device: Optional[str] = None) -> dict:
    """The whole ``train_step`` of other semi-supervised models (UniMatch,
    FixMatch, ...), each against the supervised step of its own wrapped
    segmentor on the same labeled batch.

    Returns:
        dict: name -> ``seconds``/``peak_gib`` of the method's step and
        ``supervised_seconds``/``supervised_peak_gib`` of its segmentor's.
    """
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    out = {}
    for name, cfg in method_cfgs.items():
        cfg = copy.deepcopy(cfg)
        seg = copy.deepcopy(cfg['segmentor'])
        # The preprocessor the model builds with (the base class's choice),
        # at the crop; the same segmentor config for both steps.
        seg['data_preprocessor'] = dict(
            multi_branch_preprocessor(
                cfg.get('data_preprocessor'),
                seg.get('data_preprocessor'))['data_preprocessor'],
            size=(crop, crop))
        seg['pretrained'] = None
        cfg['segmentor'] = copy.deepcopy(seg)
        torch.manual_seed(0)
        model = MODELS.build(cfg).to(device)
        num_classes = model.segmentor.decode_head.num_classes
        torch.manual_seed(0)
        data = fake_branch_batch(model.branches, batch, crop, num_classes)
        plain = dict(inputs=list(data['inputs']['sup']),
                     data_samples=data['data_samples']['sup'])
        r = time_train_steps(model, data, iters, warmup, device)
        del model
        torch.manual_seed(0)
        model = MODELS.build(seg).to(device)
        r_sup = time_train_steps(model, plain, iters, warmup, device)
        del model
        if device == 'cpu':
            r['peak_gib'], r_sup['peak_gib'] = cpu_peak_memory(
                [(cfg, data), (seg, plain)], min(iters, 3), 1)
        out[name] = dict(
            seconds=r['seconds'],
            peak_gib=r['peak_gib'],
            supervised_seconds=r_sup['seconds'],
            supervised_peak_gib=r_sup['peak_gib'])
    return out


def format_methods(result: dict) -> str:
    """The other methods' step table as text."""
    lines = [
        '| method | s/step | its segmentor, supervised s/step | x '
        'supervised | peak (GiB) | supervised peak (GiB) | x supervised |',
        '|---|---|---|---|---|---|---|'
    ]
    for name, r in result.items():
        lines.append(
            f"| {name} | {r['seconds']:.4f} | {r['supervised_seconds']:.4f}"
            f" | {r['seconds'] / r['supervised_seconds']:.2f} | "
            f"{r['peak_gib']:.3f} | {r['supervised_peak_gib']:.3f} | "
            f"{r['peak_gib'] / r['supervised_peak_gib']:.2f} |")
    return '\n'.join(lines)


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def _rss_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


@contextmanager
def peak_memory(device: str, out: Dict[str, float]) -> Iterator[None]:
    """Record in ``out['peak_gib']`` the peak memory of the block: CUDA
    allocations, or on Linux CPUs the growth of the peak resident set."""
    if device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # reset VmHWM to the current RSS
        except OSError:
            out['peak_gib'] = float('nan')
            yield
            return
        base = _rss_kib('VmRSS') * 1024
    yield
    if device == 'cuda':
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = _rss_kib('VmHWM') * 1024
    out['peak_gib'] = (peak - base) / 2**30


def time_train_steps(model, data: dict, iters: int, warmup: int,
                     device: str) -> Dict[str, float]:
    """Mean seconds per ``train_step`` after ``warmup`` steps, and the peak
    memory of the measured steps (see :func:`peak_memory`)."""
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)))
    model.train()
    for _ in range(warmup):
        model.train_step(copy.deepcopy(data), optim)
    batches = [copy.deepcopy(data) for _ in range(iters)]
    out: Dict[str, float] = {}
    with peak_memory(device, out):
        _sync(device)
        start = time.perf_counter()
        for batch in batches:
            model.train_step(batch, optim)
        _sync(device)
        out['seconds'] = (time.perf_counter() - start) / iters
    return out


def _cpu_peak_worker(variants: list, iters: int, warmup: int) -> list:
    import mmseg_pseudoseg  # noqa: F401  (registration, in a new process)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    peaks = []
    for cfg, data in variants:
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        peaks.append(
            time_train_steps(model, data, iters, warmup, 'cpu')['peak_gib'])
        del model
    return peaks


def cpu_peak_memory(variants: list, iters: int, warmup: int) -> list:
    """Peak RSS growth (GiB) of ``iters`` train steps of each (model
    config, batch) in ``variants``, one after the other in a fresh process
    whose allocator unmaps every freed block over 64 KiB."""
    saved = {k: os.environ.get(k) for k in _MALLOC_ENV}
    os.environ.update(_MALLOC_ENV)
    try:
        with get_context('spawn').Pool(1) as pool:
            return pool.apply(_cpu_peak_worker, (variants, iters, warmup))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _timed(device: str, times: Dict[str, List[float]], name: str,
           fn: Callable):
    _sync(device)
    start = time.perf_counter()
    result = fn()
    _sync(device)
    times.setdefault(name, []).append(time.perf_counter() - start)
    return result


def _one_step_by_pass(model, optim, data, device, times) -> None:
    """One PseudoSeg step as ``PseudoSeg.loss`` runs it, each pass timed.

    The same calls in the same order as the model's own step (the default
    ``weak_inference_pass=True``, fused pseudo labels), with a backward
    after each pass with a gradient; the sum of the parts is comparable to
    the measured ``train_step``.
    """
    seg, head = model.segmentor, model.sgc_head
    batch = _timed(device, times, PASSES[0],
                   lambda: model.data_preprocessor(copy.deepcopy(data), True))
    inputs, samples = batch['inputs'], batch['data_samples']

    def labeled():
        losses = model.supervised_loss(inputs['sup'], samples['sup'])
        sum(v for k, v in losses.items() if 'loss' in k).backward()

    _timed(device, times, PASSES[1], labeled)
    region = valid_region_mask(samples['strong'], inputs['strong'].shape[2:],
                               inputs['strong'].device)
    with torch.no_grad():
        m = _timed(device, times, PASSES[2],
                   lambda: seg.decode_head.forward(
                       seg.extract_feat(inputs['weak'])))

        def inference_pass():
            with _eval_mode(seg.backbone, getattr(seg, 'neck', None)):
                feats = seg.extract_feat(inputs['weak'])
            return feats, head.predict_image_labels(feats)

        feats, labels = _timed(device, times, PASSES[3], inference_pass)
        s = _timed(device, times, PASSES[4],
                   lambda: head.sgc(feats, labels, region)[0])

        def fuse():
            probs = calibrated_fusion(m, model._resize(s, m.shape[2:]),
                                      model.temperature)
            return model._resize(probs, inputs['weak'].shape[2:])

        probs = _timed(device, times, PASSES[5], fuse)

    def strong():
        model.unsupervised_loss(inputs['strong'], probs, region,
                                region)['loss_ce'].backward()

    _timed(device, times, PASSES[6], strong)

    def step():
        optim.step()
        optim.zero_grad()

    _timed(device, times, PASSES[7], step)


def time_passes(model, data: dict, iters: int, warmup: int,
                device: str) -> Dict[str, float]:
    """Mean seconds of each pass of a PseudoSeg step (see
    :func:`_one_step_by_pass`)."""
    optim = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    model.train()
    times: Dict[str, List[float]] = {}
    for i in range(warmup + iters):
        if i == warmup:
            times = {}
        _one_step_by_pass(model, optim, data, device, times)
    return {name: sum(v) / len(v) for name, v in times.items()}


def bench_step(ps_cfg: dict,
               sup_cfg: dict,
               batch: int,
               crop: int,
               iters: int,
               warmup: int,
               device: Optional[str] = None) -> dict:
    """Measure the supervised step, the PseudoSeg step (both weak-pass
    variants) and PseudoSeg's passes on the same random batch.

    Args:
        ps_cfg (dict): PseudoSeg model config.
        sup_cfg (dict): Supervised model config (the same segmentor).
        batch (int): B labeled (and B unlabeled) images.
        crop (int): Square crop size.
        iters (int): Measured steps.
        warmup (int): Steps before measuring.
        device (str, optional): 'cuda' or 'cpu'; default: CUDA if present.

    Returns:
        dict: ``device``, ``threads``, ``steps`` (name -> seconds and
        peak_gib) and ``passes`` (name -> seconds).
    """
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    ps_cfg, sup_cfg = copy.deepcopy(ps_cfg), copy.deepcopy(sup_cfg)
    for cfg in (ps_cfg['segmentor'], sup_cfg):
        cfg['data_preprocessor']['size'] = (crop, crop)
        cfg['pretrained'] = None
    num_classes = sup_cfg['decode_head']['num_classes']
    torch.manual_seed(0)
    semi = fake_batch(batch, crop, num_classes, semi=True)
    plain = dict(
        inputs=list(semi['inputs']['sup']),
        data_samples=semi['data_samples']['sup'])
    variants = [('supervised', sup_cfg, plain), ('PseudoSeg', ps_cfg, semi),
                ('PseudoSeg, shared weak pass',
                 dict(ps_cfg, weak_inference_pass=False), semi)]
    steps = {}
    for name, cfg, data in variants:
        torch.manual_seed(0)
        model = MODELS.build(cfg).to(device)
        steps[name] = time_train_steps(model, data, iters, warmup, device)
        del model
    if device == 'cpu':
        peaks = cpu_peak_memory([(cfg, data) for _, cfg, data in variants],
                                min(iters, 3), 1)
        for (name, _, _), peak in zip(variants, peaks):
            steps[name]['peak_gib'] = peak
    torch.manual_seed(0)
    model = MODELS.build(ps_cfg).to(device)
    passes = time_passes(model, semi, iters, warmup, device)
    return dict(
        device=device,
        threads=torch.get_num_threads(),
        batch=batch,
        crop=crop,
        steps=steps,
        passes=passes)


def format_step(result: dict) -> str:
    """The step benchmark's tables as text."""
    steps, passes = result['steps'], result['passes']
    base = steps['supervised']
    mem_name = 'peak CUDA alloc' if result['device'] == 'cuda' else \
        'peak RSS growth'
    lines = [
        f"device: {result['device']}, threads: {result['threads']}, crop "
        f"{result['crop']}, B={result['batch']} labeled (+ "
        f"{result['batch']} unlabeled)", '',
        f'| step | s/step | x supervised | {mem_name} (GiB) | '
        'x supervised |', '|---|---|---|---|---|'
    ]
    for name, r in steps.items():
        lines.append(
            f"| {name} | {r['seconds']:.4f} | "
            f"{r['seconds'] / base['seconds']:.2f} | {r['peak_gib']:.3f} | "
            f"{r['peak_gib'] / base['peak_gib']:.2f} |")
    total = sum(passes.values())
    lines += [
        '', '| PseudoSeg pass | s | share of the sum | x supervised step |',
        '|---|---|---|---|'
    ]
    for name, t in passes.items():
        lines.append(f'| {name} | {t:.4f} | {t / total:.1%} | '
                     f"{t / base['seconds']:.2f} |")
    ps = steps['PseudoSeg']['seconds']
    lines += [
        f"| sum of the passes (floor) | {total:.4f} | 100% | "
        f"{total / base['seconds']:.2f} |", '',
        f'PseudoSeg step / sum of its passes: {ps / total:.3f}',
        'step time ratio PseudoSeg / supervised: '
        f"{ps / base['seconds']:.3f}",
        'step time ratio inference-mode weak pass / shared weak pass: '
        f"{ps / steps['PseudoSeg, shared weak pass']['seconds']:.3f}"
    ]
    return '\n'.join(lines)
