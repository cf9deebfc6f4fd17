"""Benchmarks that print ratios, never pass/fail.

1. Step time (and peak CUDA memory on a GPU): one PseudoSeg training step
   (B labeled + B unlabeled images: the weak view twice, train and
   inference mode, and the strong view), the same with the classifier/SGC
   pass sharing the train-mode weak features (weak_inference_pass=False),
   and one supervised step of the same segmentor on the same B labeled
   images. Random inputs, after warm-up; ratios measured in one run.
2. Toy mIoU: the supervised 1/8 baseline and PseudoSeg 1/8 trained and
   evaluated on the built-in toy set with the shipped toy configs, for each
   seed; prints the per-seed numbers, means and the difference.

Examples:
    python tools/benchmark.py step --batch 4 --crop 64
    python tools/benchmark.py miou --seeds 0 1 2
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time

import mmseg_pseudoseg  # noqa: F401  (registration)
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg_pseudoseg.datasets import set_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _fake_branch(n, crop, num_classes, with_labels=True):
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, ) + crop, dtype=torch.uint8))
        sample = SegDataSample(
            metainfo=dict(img_shape=crop, ori_shape=crop, pad_shape=crop))
        if with_labels:
            sample.gt_sem_seg = PixelData(
                data=torch.randint(0, num_classes, (1, ) + crop))
        samples.append(sample)
    return inputs, samples


def _time_steps(model, data, iters, warmup, device):
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)))
    model.train()
    for i in range(warmup + iters):
        if i == warmup:
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
        model.train_step(copy.deepcopy(data), optim)
    if device == 'cuda':
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def bench_step(args):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    ps_cfg = Config.fromfile(args.pseudoseg_config).model
    sup_cfg = Config.fromfile(args.supervised_config).model
    for cfg in (ps_cfg.segmentor, sup_cfg):
        cfg.data_preprocessor.size = (args.crop, args.crop)
        cfg.pretrained = None
    num_classes = sup_cfg.decode_head.num_classes
    crop = (args.crop, args.crop)
    b = args.batch
    sup_in, sup_s = _fake_branch(b, crop, num_classes)
    weak_in, weak_s = _fake_branch(b, crop, num_classes, with_labels=False)
    strong_s = [copy.deepcopy(s) for s in weak_s]
    ps_data = dict(inputs=dict(sup=sup_in, weak=weak_in, strong=list(weak_in)),
                   data_samples=dict(sup=sup_s, weak=weak_s, strong=strong_s))
    sup_data = dict(inputs=list(sup_in), data_samples=sup_s)

    times, memory = {}, {}
    shared = dict(ps_cfg, weak_inference_pass=False)
    variants = [('PseudoSeg', ps_cfg, ps_data),
                ('PseudoSeg, shared weak pass', shared, ps_data),
                ('supervised', sup_cfg, sup_data)]
    for name, cfg, data in variants:
        torch.manual_seed(0)
        model = MODELS.build(cfg).to(device)
        if device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        times[name] = _time_steps(model, data, args.iters, args.warmup, device)
        if device == 'cuda':
            memory[name] = torch.cuda.max_memory_allocated() / 2**30
        del model
    print(f'device: {device}, threads: {torch.get_num_threads()}, '
          f'crop {args.crop}, B={b} labeled (+ {b} unlabeled)')
    for name, t in times.items():
        mem = f', peak {memory[name]:.2f} GiB' if name in memory else ''
        print(f'{name} step: {t:.4f} s{mem}')
    base = times['supervised']
    for name in ('PseudoSeg', 'PseudoSeg, shared weak pass'):
        print(f'step time ratio {name} / supervised: '
              f'{times[name] / base:.3f}')
        if memory:
            print(f'peak memory ratio {name} / supervised: '
                  f'{memory[name] / memory["supervised"]:.3f}')
    print('step time ratio inference-mode weak pass / shared weak pass: '
          f'{times["PseudoSeg"] / times["PseudoSeg, shared weak pass"]:.3f}')


def _train_and_eval(config, data_root, seed, iters):
    cfg = Config.fromfile(config)
    set_data_root(cfg._cfg_dict, data_root)
    cfg.work_dir = tempfile.mkdtemp(prefix='pseudoseg_bench_')
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    if iters:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        cfg.param_scheduler[0].end = iters
        cfg.default_hooks.checkpoint.interval = iters
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub.get_scalar('val/mIoU').current()


def bench_miou(args):
    if not osp.isfile(osp.join(args.data_root, 'splits/1-8/labeled.txt')):
        raise FileNotFoundError(
            f'{args.data_root}/splits/1-8/labeled.txt does not exist; run '
            f'python tools/make_toy_dataset.py {args.data_root}')
    MMLogger.get_current_instance().setLevel('WARNING')
    results = {'supervised': [], 'pseudoseg': []}
    for seed in args.seeds:
        for name, config in (('supervised', args.supervised_config),
                             ('pseudoseg', args.pseudoseg_config)):
            miou = _train_and_eval(config, args.data_root, seed, args.iters)
            results[name].append(miou)
            print(f'seed {seed} {name:>10} 1/8: mIoU {miou:.2f}', flush=True)
    sup, ps = results['supervised'], results['pseudoseg']

    def fmt(values):
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return f'{statistics.mean(values):.2f} +- {std:.2f}'

    diffs = [p - s for p, s in zip(ps, sup)]
    print('paired differences (PseudoSeg - supervised, same seed): ' +
          ', '.join(f'{d:+.2f}' for d in diffs))
    print(f'toy mIoU 1/8, {len(args.seeds)} seeds: supervised {fmt(sup)}, '
          f'PseudoSeg {fmt(ps)}, paired difference {fmt(diffs)}')
    print('toy mIoU ratio PseudoSeg / supervised: '
          f'{statistics.mean(ps) / statistics.mean(sup):.3f}')


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest='what', required=True)
    for name in ('step', 'miou'):
        p = sub.add_parser(name)
        p.add_argument('--pseudoseg-config',
                       default=osp.join(REPO, 'configs/pseudoseg/toy.py'))
        p.add_argument('--supervised-config',
                       default=osp.join(REPO, 'configs/supervised/toy.py'))
    step = sub.choices['step']
    step.add_argument('--batch', type=int, default=4)
    step.add_argument('--crop', type=int, default=64)
    step.add_argument('--iters', type=int, default=20)
    step.add_argument('--warmup', type=int, default=3)
    miou = sub.choices['miou']
    miou.add_argument('--data-root', default='data/toy_shapes')
    miou.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    miou.add_argument('--iters',
                      type=int,
                      default=0,
                      help='0: the configs\' schedule')
    args = parser.parse_args()
    bench_step(args) if args.what == 'step' else bench_miou(args)


if __name__ == '__main__':
    main()
