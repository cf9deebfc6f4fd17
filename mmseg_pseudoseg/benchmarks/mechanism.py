"""Where PseudoSeg's pseudo labels lose the foreground, over seeds.

``tools/benchmark.py mechanism`` scores the final checkpoint of every
PseudoSeg-family run of an ``arms`` (or ``curve``) results file with
:func:`calibration.pseudo_label_calibration` on that run's own unlabeled
images (labels known, never used in training), and summarises over seeds:
per source (decoder, SGC, fused, and SGC and fused made from the true
image labels) the pseudo-label mIoU and the share of foreground pixels
called background; how much of the objects the Grad-CAM covers, from the
predicted and from the true image labels; the classifier's image-label
precision and recall. Per class (:func:`run_per_class`): the IoU of the
decoder's and the fused labels, fused minus decoder paired over seeds
(the issue's goal compares them per class), and the classifier's recall
and precision of that class.

With ``--figures FILE`` each run's figures are also kept as one JSON line
(:func:`figures_record`), and a later call takes those of the same run
from there instead of scoring its checkpoint again
(:func:`recorded_figures`): runs trained in several sessions or on
several machines are summarised together without their checkpoints.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..evaluation import mean_std, paired_interval
from .curve import read_runs

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


def _variant(result: dict, name: str, temperature: float,
             calibrate: bool) -> dict:
    """The variant of row ``name`` of :data:`SOURCES` in ``result``, the
    fused ones at the model's ``temperature`` and ``calibrate``."""
    source, scaled, t = dict(SOURCES)[name]
    if t == 'T':
        scaled, t = calibrate, temperature
    return result['variants'][(source, scaled, t)]


def run_figures(result: dict, temperature: float,
                calibrate: bool = True) -> Dict[str, float]:
    """The figures of one checkpoint (one :func:`pseudo_label_calibration`
    result; ``temperature`` and ``calibrate``: the model's fusion), all as
    fractions in [0, 1]."""
    out = {}
    for name, _ in SOURCES:
        r = _variant(result, name, temperature, calibrate)
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


# What makes a recorded line the figures of a given run: its key and what
# the run's record says of its outcome and initial weights, and how many of
# its unlabeled images were scored.
RUN_IDENTITY = ('key', 'miou', 'init_fingerprint', 'max_images')


def figures_record(run: dict, max_images: Optional[int], images: int,
                   classes: Sequence[str], figures: Dict[str, float],
                   per_class: Dict[str, List[float]]) -> dict:
    """One run's figures as a line of a ``--figures`` file: the run's
    ``key``, ``kind``, ``denominator``, ``seed``, ``miou`` and
    ``init_fingerprint`` (from its ``arms`` record), ``max_images``,
    ``images`` scored, ``classes`` (foreground, in order),
    :func:`run_figures` and :func:`run_per_class`."""
    return dict({k: run.get(k) for k in ('key', 'kind', 'denominator',
                                         'seed', 'miou',
                                         'init_fingerprint')},
                max_images=max_images, images=images, classes=list(classes),
                figures=figures, per_class=per_class)


def recorded_figures(path: str, runs: Sequence[dict],
                     max_images: Optional[int]) -> Dict[str, dict]:
    """The lines of the ``--figures`` file ``path`` that are the figures of
    ``runs`` (run key -> line; empty if the file is missing).

    A line of a run's key counts only if its run is the same one (the
    record's ``miou`` and ``init_fingerprint``) scored on as many images
    (``max_images``); one that is not is an error, naming the file and
    the run, rather than a figure silently taken from another run.
    """
    lines = read_runs(path)
    found = {}
    for run in runs:
        line = lines.get(run['key'])
        if line is None:
            continue
        want = dict(run, max_images=max_images)
        differ = [k for k in RUN_IDENTITY if line.get(k) != want.get(k)]
        if differ:
            raise ValueError(
                f"{path}: the figures of {run['key']} are of another run "
                f"or image count ({', '.join(differ)} differ); give "
                'another --figures file')
        found[run['key']] = line
    return found


def _by_group(per_run: Dict[tuple, dict]) -> List[tuple]:
    """``(arm, denominator, seed) -> figures`` as ``((arm, denominator),
    {seed: figures})``, fewest labels first, then by arm."""
    groups: Dict[tuple, Dict[int, dict]] = {}
    for (arm, n, seed), f in per_run.items():
        groups.setdefault((arm, n), {})[seed] = f
    return sorted(groups.items(), key=lambda g: (-g[0][1], g[0][0]))


# (per-class figure, row of SOURCES whose IoU it is).
PER_CLASS_IOU = (('decoder IoU', 'decoder'),
                 ('fused IoU', 'fused (the targets)'),
                 ('fused IoU, true image labels', 'fused, true image labels'))


def run_per_class(result: dict, temperature: float,
                  calibrate: bool = True) -> Dict[str, List[float]]:
    """Per foreground class, in label order (background left out), of one
    checkpoint: the IoU of each source of :data:`PER_CLASS_IOU` and the
    classifier's image-label ``recall`` and ``precision``; fractions in
    [0, 1], NaN for an IoU with no pixels of the class either side."""
    out = {name: list(_variant(result, row, temperature,
                               calibrate)['iou'][1:])
           for name, row in PER_CLASS_IOU}
    labels = result['image_labels']
    out['classifier recall'] = list(labels['recall'])
    out['classifier precision'] = list(labels['precision'])
    sizes = {len(v) for v in out.values()}
    if len(sizes) != 1:
        raise ValueError('run_per_class: the IoUs and the image-label '
                         'scores count different classes')
    return out


def summarise_per_class(per_class: Dict[tuple, Dict[str, List[float]]],
                        classes: Sequence[str]) -> List[dict]:
    """Per (arm, denominator), over its seeds: each class's mean of every
    :func:`run_per_class` figure, fused minus decoder IoU paired by seed
    (mean and 95% interval), and across the classes the correlation
    (Pearson) of the classifier's recall with that difference.

    Args:
        per_class (dict): (arm, denominator, seed) -> :func:`run_per_class`.
        classes (Sequence[str]): The foreground classes' names, in order.

    Returns:
        list[dict]: As :func:`summarise_mechanism`'s rows, sorted alike:
        ``arm``, ``denominator``, ``seeds``, ``classes``, ``figures``
        (name -> ``values`` per seed, each a list over classes, and
        ``mean`` over seeds per class), ``fused_minus_decoder`` (per class
        :func:`paired_interval` of fused and decoder IoU) and
        ``recall_vs_difference`` (r over the classes' means).
    """
    for (arm, n, seed), f in per_class.items():
        if any(len(v) != len(classes) for v in f.values()):
            raise ValueError(
                f'summarise_per_class: {arm} 1/{n} seed {seed} has '
                f'figures for other than the {len(classes)} classes given')
    rows = []
    for (arm, n), by_seed in _by_group(per_class):
        seeds = sorted(by_seed)
        figures = {}
        for name in by_seed[seeds[0]]:
            values = np.array([by_seed[s][name] for s in seeds], np.float64)
            figures[name] = dict(values=values.tolist(),
                                 mean=np.nanmean(values, 0).tolist())
        fused, dec = (figures[k]['values'] for k in ('fused IoU',
                                                     'decoder IoU'))
        diff = [paired_interval([v[c] for v in fused], [v[c] for v in dec])
                for c in range(len(classes))]
        rows.append(dict(arm=arm, denominator=n, seeds=seeds,
                         classes=list(classes), figures=figures,
                         fused_minus_decoder=diff,
                         recall_vs_difference=_pearson(
                             figures['classifier recall']['mean'],
                             [d['mean'] for d in diff])))
    return rows


def _pearson(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    """Pearson's r of the finite pairs; None with under 3 or no spread."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def format_per_class(row: dict) -> str:
    """One markdown table of a :func:`summarise_per_class` row: a line per
    class, in %, fused minus decoder with its paired 95% interval."""
    f = row['figures']
    lines = [f"{row['arm']} 1/{row['denominator']} (n={len(row['seeds'])})"
             ': per class, mean over seeds (%)', '',
             '| class | decoder IoU | fused IoU | fused - decoder [95%] | '
             'fused IoU, true image labels | classifier recall | '
             'classifier precision |', '|---' * 7 + '|']
    for c, name in enumerate(row['classes']):
        d = row['fused_minus_decoder'][c]
        cells = [f"{100 * f[k]['mean'][c]:.1f}" for k in (
            'decoder IoU', 'fused IoU')]
        cells.append(f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, "
                     f"{100 * d['high']:+.1f}]")
        cells += [f"{100 * f[k]['mean'][c]:.1f}" for k in (
            'fused IoU, true image labels', 'classifier recall',
            'classifier precision')]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    r = row['recall_vs_difference']
    lines += ['', 'across the classes, r(classifier recall, fused - '
              'decoder) = ' + ('-' if r is None else f'{r:+.2f}')]
    return '\n'.join(lines)


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
    rows = []
    for (arm, n), by_seed in _by_group(figures):
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
