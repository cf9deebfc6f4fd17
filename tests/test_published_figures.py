"""The label-limited benchmark's committed summaries
(``docs/benchmarks/arms-toy-patterns-cpu.json`` and the 1/8 image-label
summary beside it) agree with themselves, with the regime check's summary
and with the run records committed beside them:
every mean, spread, paired difference and interval recomputes from the
per-seed values, the supervised arm is the regime check's where a row says
so, and the rows made from recorded runs summarise from those records."""
import json
import os.path as osp

import pytest

from mmseg_pseudoseg.benchmarks import arms
from mmseg_pseudoseg.benchmarks.curve import read_runs
from mmseg_pseudoseg.evaluation import mean_std, paired_interval
from .conftest import REPO

FIGURES = osp.join(REPO, 'docs', 'benchmarks')


def _load(name):
    with open(osp.join(FIGURES, name)) as f:
        return json.load(f)


def _close(a, b):
    return a == pytest.approx(b, rel=0, abs=1e-9)


# The main summary, and PseudoSeg with image labels at 1/8 paired with a
# supervised rerun on the machine that ran it (a summary of its own, so that
# no row pairs an arm with another machine's supervised runs).
SUMMARIES = ('arms-toy-patterns-cpu.json',
             'arms-toy-patterns-1-8-imglabels-cpu.json')


@pytest.mark.parametrize(
    'row', [r for name in SUMMARIES for r in _load(name)['rows']],
    ids=lambda r: f"1-{r['denominator']}-" + '-'.join(sorted(r['arms'])))
def test_arms_row_recomputes_from_its_per_seed_values(row):
    arms_ = row['arms']
    sup = dict(zip(arms_['supervised']['seeds'], arms_['supervised']['miou']))
    for name, a in arms_.items():
        assert len(a['seeds']) == len(a['miou']) == a['n'], name
        stats = mean_std(a['miou'])
        assert _close(a['mean'], stats['mean']), name
        assert _close(a['std'], stats['std']), name
    for name, d in row['vs_supervised'].items():
        own = dict(zip(arms_[name]['seeds'], arms_[name]['miou']))
        x = [own[s] for s in d['seeds']]
        y = [sup[s] for s in d['seeds']]
        assert all(_close(a, b - c) for a, b, c in zip(d['diffs'], x, y))
        for key, value in paired_interval(x, y).items():
            assert _close(d[key], value), (name, key)


def test_arms_supervised_rows_are_the_regime_checks_where_they_say_so():
    regime = _load('regime-toy-patterns-v2.json')['fractions']
    said = [r for r in _load('arms-toy-patterns-cpu.json')['rows']
            if "regime check's" in r.get('source', '')]
    assert {r['denominator'] for r in said} == {16, 8}
    for row in said:
        assert row['arms']['supervised']['miou'] == \
            regime[str(row['denominator'])]['miou']


@pytest.mark.parametrize('name', SUMMARIES)
def test_arms_rows_without_a_source_summarise_from_the_committed_runs(name):
    summary = _load(name)
    recorded = [r for r in summary['rows'] if 'source' not in r]
    assert recorded or name == SUMMARIES[0]
    runs = read_runs(osp.join(FIGURES, 'arms-toy-patterns-cpu-runs.jsonl'))
    for row in recorded:
        n = row['denominator']
        again, = arms.summarise_arms(runs, list(row['arms']), [n],
                                     summary['seeds'])
        for arm, a in row['arms'].items():
            assert again['arms'][arm]['miou'] == a['miou'], (n, arm)
        for arm, d in row['vs_supervised'].items():
            assert again['vs_supervised'][arm]['same_init'] == \
                d['same_init'], (n, arm)
