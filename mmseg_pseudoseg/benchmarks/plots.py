"""PNG plots of the benchmarks (matplotlib, no display needed)."""
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def plot_curve(rows: List[dict], path: str, title: str = '') -> str:
    """mIoU against labeled fraction (mean +- std over seeds) and the
    paired difference with its 95% interval."""
    x = [1 / r['denominator'] for r in rows]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6, 6), sharex=True,
        gridspec_kw=dict(height_ratios=[2, 1]))
    for name, key, marker in (('supervised', 'supervised', 'o'),
                              ('PseudoSeg', 'pseudoseg', 's')):
        top.errorbar(
            x, [r[key]['mean'] for r in rows],
            yerr=[r[key]['std'] for r in rows],
            marker=marker, capsize=3, label=name)
    top.set_ylabel('val mIoU (%)')
    top.legend()
    top.grid(alpha=0.3)
    if title:
        top.set_title(title)
    d = [r['diff'] for r in rows]
    bottom.errorbar(
        x, [v['mean'] for v in d],
        yerr=[[v['mean'] - v['low'] for v in d],
              [v['high'] - v['mean'] for v in d]],
        marker='D', color='black', capsize=3)
    for r in rows:
        bottom.scatter([1 / r['denominator']] * len(r['diffs']), r['diffs'],
                       s=10, color='grey', zorder=3)
    return _finish(fig, bottom, rows, 'PseudoSeg - sup.\n(95% CI, seeds)',
                   path)


def _finish(fig, bottom, rows: List[dict], ylabel: str, path: str) -> str:
    """The difference axis over the labeled fractions; save and close."""
    x = [1 / r['denominator'] for r in rows]
    bottom.axhline(0, color='grey', lw=0.8)
    bottom.set_ylabel(ylabel)
    bottom.set_xscale('log', base=2)
    bottom.set_xticks(x)
    bottom.set_xticklabels([f"1/{r['denominator']}" for r in rows])
    bottom.set_xlabel('labeled fraction of the train set')
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pl_history(rows: List[dict], path: str) -> str:
    """Pseudo-label accuracy per source over PseudoSeg training."""
    rows = [r for r in rows if r['pl_history']]
    fig, axes = plt.subplots(
        1, len(rows), figsize=(3.2 * len(rows), 3), sharey=True,
        squeeze=False)
    for ax, r in zip(axes[0], rows):
        h = r['pl_history']
        for key, label in (('unsup_pl_acc', 'fused'),
                           ('unsup_pl_acc_decoder', 'decoder'),
                           ('unsup_pl_acc_sgc', 'SGC')):
            if key in h:
                ax.plot([(i + 0.5) / len(h[key]) for i in range(len(h[key]))],
                        h[key], marker='.', label=label)
        ax.set_title(f"1/{r['denominator']} labeled")
        ax.set_xlabel('fraction of training')
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel('pseudo-label pixel accuracy')
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_reliability(variants: Dict[str, dict], path: str) -> str:
    """Reliability diagrams: accuracy per confidence bin against the
    diagonal, bar width the bin, with the ECE in each title."""
    names = list(variants)
    fig, axes = plt.subplots(
        1, len(names), figsize=(3.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        r = variants[name]
        n = len(r['bin_count'])
        edges = [i / n for i in range(n)]
        filled = [c > 0 for c in r['bin_count']]
        ax.bar([e for e, f in zip(edges, filled) if f],
               [a for a, f in zip(r['bin_acc'], filled) if f],
               width=1 / n, align='edge', edgecolor='black',
               label='accuracy')
        ax.plot([0, 1], [0, 1], '--', color='grey')
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{name}\nECE {r['ece']:.3f}, acc {r['acc']:.3f}",
                     fontsize=9)
        ax.set_xlabel('confidence')
        share = ax.twinx()
        total = max(sum(r['bin_count']), 1)
        share.plot([e + 0.5 / n for e in edges],
                   [c / total for c in r['bin_count']], color='red',
                   marker='.', lw=1)
        share.set_ylim(0, 1)
        share.tick_params(axis='y', colors='red', labelsize=7)
    axes[0][0].set_ylabel('accuracy (bars); red: share of pixels')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_arms(rows: List[dict], path: str, title: str = '') -> str:
    """mIoU of every arm against labeled fraction (mean +- std over seeds)
    and each arm's paired difference from the supervised arm with its 95%
    interval."""
    arms = list(dict.fromkeys(a for r in rows for a in r['arms']))
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.5, 6.5), sharex=True,
        gridspec_kw=dict(height_ratios=[2, 1]))
    markers = 'osD^vP*X'
    for i, arm in enumerate(arms):
        # Arms side by side at each fraction, in both panels.
        shift = 2**(0.04 * (i - (len(arms) - 1) / 2))
        pts = [(1 / r['denominator'], r['arms'][arm]) for r in rows
               if arm in r['arms']]
        top.errorbar([p[0] * shift for p in pts],
                     [p[1]['mean'] for p in pts],
                     yerr=[p[1]['std'] for p in pts],
                     marker=markers[i % len(markers)], capsize=3, label=arm,
                     ls='-' if len(rows) > 1 else 'none')
        if arm == 'supervised':
            continue
        d = [(1 / r['denominator'], r['vs_supervised'][arm]) for r in rows
             if arm in r['vs_supervised']]
        if d:
            bottom.errorbar(
                [p[0] * shift for p in d], [p[1]['mean'] for p in d],
                yerr=[[p[1]['mean'] - p[1]['low'] for p in d],
                      [p[1]['high'] - p[1]['mean'] for p in d]],
                marker=markers[i % len(markers)], capsize=3, ls='none',
                color=f'C{i}')
    if len(rows) == 1:  # one fraction: room for the arms beside it
        x = 1 / rows[0]['denominator']
        bottom.set_xlim(x / 1.4, x * 1.4)
    top.set_ylabel('val mIoU (%)')
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    if title:
        top.set_title(title)
    return _finish(fig, bottom, rows, 'arm - supervised\n(95% CI)', path)
