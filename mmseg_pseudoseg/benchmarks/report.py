"""Markdown tables of the calibration benchmark."""
import os.path as osp
from typing import Dict, Sequence


def format_calibration(result: dict, classes: Sequence[str],
                       model_temperature: float) -> str:
    """Accuracy / mIoU / ECE per variant, per-class IoU of the main
    sources, and the classifier's image labels."""
    variants = result['variants']
    lines = [
        '| source | shared scale | T | pixel acc | mIoU | ECE (15 bins) | '
        'mean conf | foreground called background |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for (source, calibrate, t), r in variants.items():
        scale = '-' if calibrate is None else ('yes' if calibrate else 'no')
        lines.append(f"| {source} | {scale} | {t:g} | {r['acc']:.4f} | "
                     f"{100 * r['miou']:.2f} | {r['ece']:.4f} | "
                     f"{r['mean_conf']:.4f} | {r['fg_to_bg']:.3f} |")
    main = [('decoder', None, 1.0), ('SGC', None, 1.0),
            ('fused', True, model_temperature),
            ('fused', False, model_temperature),
            ('SGC, given image labels', None, 1.0)]
    main = [m for m in main if m in variants]
    names = [f'{s}{"" if c is None else (", scaled" if c else ", unscaled")}'
             for s, c, _ in main]
    lines += [
        '', '| class | ' + ' | '.join(names) + ' |',
        '|---' * (len(main) + 1) + '|'
    ]
    for k, name in enumerate(classes):
        lines.append(f'| {name} | ' + ' | '.join(
            f"{100 * variants[m]['iou'][k]:.2f}" for m in main) + ' |')
    lines += [
        '', 'share of each class called background', '',
        '| class | ' + ' | '.join(names) + ' |',
        '|---' * (len(main) + 1) + '|'
    ]
    for k, name in enumerate(classes[1:], start=1):
        lines.append(f'| {name} | ' + ' | '.join(
            f"{variants[m]['to_background'][k]:.3f}" for m in main) + ' |')
    coverage = result.get('cam_coverage') or {}
    if coverage:
        keys = [k for k in next(iter(coverage.values())) if k != 'pixels']
        heads = [f'{n}, {t}' for n in coverage for t in keys]
        lines += [
            '', "share of each class's pixels where its Grad-CAM (divided "
            'by its maximum) exceeds a threshold', '',
            '| class | ' + ' | '.join(heads) + ' |',
            '|---' * (len(coverage) * len(keys) + 1) + '|'
        ]
        rows = [(name, i) for i, name in enumerate(classes[1:])]
        rows.append(('all foreground', None))
        for name, i in rows:
            cells = [c[t]['all'] if i is None else c[t]['per_class'][i]
                     for c in coverage.values() for t in keys]
            cells = ' | '.join(f'{v:.3f}' for v in cells)
            lines.append(f'| {name} | {cells} |')
    labels = result['image_labels']
    lines += [
        '', 'classifier image labels (sigmoid >= 0.5, inference mode) vs '
        'the classes in each weak view: all classes right in '
        f"{labels['exact']:.1%} of images", '',
        '| class | precision | recall | images with it |', '|---|---|---|---|'
    ]
    for k, name in enumerate(classes[1:]):
        lines.append(f"| {name} | {labels['precision'][k]:.3f} | "
                     f"{labels['recall'][k]:.3f} | {labels['support'][k]} |")
    lines.append(f"\nmodel's own fused probabilities vs rebuilt: max abs "
                 f"difference {result['max_fused_diff']:.2e}")
    return '\n'.join(lines)


def format_calibration_history(results: Dict[str, dict],
                               classes: Sequence[str],
                               model_temperature: float) -> str:
    """One row per checkpoint and source: pixel accuracy, mIoU, ECE and
    per-class IoU (%), to follow the pseudo labels over training."""
    sources = [('decoder', None, 1.0), ('SGC', None, 1.0),
               ('fused', True, model_temperature)]
    lines = [
        '| checkpoint | source | pixel acc | mIoU | ECE | ' +
        ' | '.join(f'IoU {c}' for c in classes) + ' |',
        '|---' * (5 + len(classes)) + '|'
    ]
    for path, result in results.items():
        name = osp.basename(path)
        for source in sources:
            r = result['variants'][source]
            label = source[0] if source[1] is None else \
                f'{source[0]} (T={source[2]:g})'
            lines.append(
                f"| {name} | {label} | {r['acc']:.4f} | "
                f"{100 * r['miou']:.2f} | {r['ece']:.4f} | " +
                ' | '.join(f'{100 * v:.2f}' for v in r['iou']) + ' |')
    return '\n'.join(lines)
