"""Where PseudoSeg's pseudo labels lose the foreground, over seeds.

``tools/benchmark.py mechanism`` scores the final checkpoint of every
PseudoSeg-family run of an ``arms`` (or ``curve``) results file with
:func:`calibration.pseudo_label_calibration` on that run's own unlabeled
images (labels known, never used in training), and summarises over seeds:
per source (decoder, SGC, fused, and SGC and fused made from the true
image labels) the pseudo-label mIoU and the share of foreground pixels
called background; how much of the objects the Grad-CAM covers, from the
predicted and from the true image labels; the classifier's image-label
precision and recall.
"""
from typing import Dict, List, Sequence

import numpy as np

from ..evaluation import mean_std

# (row name, variant key as ``calibration`` writes it with the model's T).
SOURCES = (
    ('decoder', ('decoder', None, 1.0)),
    ('SGC', ('SGC', None, 1.0)),
    ('fused (the targets)', ('fused', True, 'T')),
    ('SGC, true image labels', ('SGC, given image labels', None, 1.0)),
    ('fused, true image labels', ('fused, given image labels', True, 'T')),
)
CAMS = (('CAM, predicted image labels', 'predicted labels'),
        ('CAM, given image labels', 'true labels'))


def run_figures(result: dict, temperature: float,
                calibrate: bool = True) -> Dict[str, float]:
    """The figures of one checkpoint (one :func:`pseudo_label_calibration`
    result; ``temperature`` and ``calibrate``: the model's fusion), all as
    fractions in [0, 1]."""
    out = {}
    for name, (source, scaled, t) in SOURCES:
        if t == 'T':
            scaled, t = calibrate, temperature
        key = (source, scaled, t)
        r = result['variants'][key]
        out[f'{name}: mIoU'] = r['miou']
        out[f'{name}: foreground called background'] = r['fg_to_bg']
    for cam, label in CAMS:
        cov = result.get('cam_coverage', {}).get(cam)
        if cov:
            for t in ('>0', '>0.5'):
                out[f'Grad-CAM {t}, {label}: share of object pixels'] = \
                    cov[t]['all']
    labels = result['image_labels']
    out['classifier: precision (mean over classes)'] = float(
        np.mean(labels['precision']))
    out['classifier: recall (mean over classes)'] = float(
        np.mean(labels['recall']))
    out['classifier: all image labels right'] = labels['exact']
    return out


def summarise_mechanism(figures: Dict[tuple, Dict[str, float]]
                        ) -> List[dict]:
    """Mean +- std over seeds per (arm, denominator).

    Args:
        figures (dict): (arm, denominator, seed) -> :func:`run_figures`.

    Returns:
        list[dict]: One per (arm, denominator), sorted: ``arm``,
        ``denominator``, ``seeds`` and ``figures`` (name -> ``values`` per
        seed, ``mean``, ``std``).
    """
    groups: Dict[tuple, Dict[int, Dict[str, float]]] = {}
    for (arm, n, seed), f in figures.items():
        groups.setdefault((arm, n), {})[seed] = f
    rows = []
    for (arm, n), by_seed in sorted(groups.items(), key=lambda g: (-g[0][1],
                                                                   g[0][0])):
        seeds = sorted(by_seed)
        names = [k for k in by_seed[seeds[0]]
                 if all(k in by_seed[s] for s in seeds)]
        rows.append(dict(arm=arm, denominator=n, seeds=seeds, figures={
            k: dict(values=[by_seed[s][k] for s in seeds],
                    **mean_std([by_seed[s][k] for s in seeds]))
            for k in names
        }))
    return rows


def format_mechanism(rows: Sequence[dict]) -> str:
    """One markdown table: a line per figure, a column per (arm, fraction),
    mean +- std over its seeds, in %."""
    if not rows:
        return '(no run)'
    names = []
    for r in rows:
        names += [k for k in r['figures'] if k not in names]
    heads = [f"{r['arm']} 1/{r['denominator']} (n={len(r['seeds'])})"
             for r in rows]
    lines = ['| figure (%) | ' + ' | '.join(heads) + ' |',
             '|---' * (len(rows) + 1) + '|']
    for name in names:
        cells = []
        for r in rows:
            f = r['figures'].get(name)
            cells.append('-' if f is None else
                         f"{100 * f['mean']:.1f} +- {100 * f['std']:.1f}")
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
