"""Pairs of labeled and unlabeled samples for semi-supervised training."""
import os.path as osp
from typing import List

import numpy as np

from mmseg.registry import DATASETS
from mmseg.utils import ConfigType
from torch.utils.data import Dataset

from .splits import read_split


def _split_file(cfg: ConfigType) -> str:
    """Absolute-or-root-relative split file of a dataset config, or ''."""
    ann_file = cfg.get('ann_file', '')
    if not ann_file:
        return ''
    return osp.join(cfg.get('data_root', '') or '', ann_file)


def missing_files(dataset) -> List[str]:
    """Listed files of ``dataset`` that do not exist, checked up front.

    Images always; label maps where the dataset's pipeline loads them.
    ``ConcatDataset``-like wrappers (with ``.datasets``) are searched.
    """
    if hasattr(dataset, 'datasets'):
        return [p for d in dataset.datasets for p in missing_files(d)]
    if not hasattr(dataset, 'get_data_info'):
        return []
    dataset.full_init()
    transforms = getattr(dataset.pipeline, 'transforms', [])
    loads_labels = any(
        type(t).__name__ == 'LoadAnnotations' for t in transforms)
    missing = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)  # data_list may be serialised
        paths = [info.get('img_path')]
        if loads_labels:
            paths.append(info.get('seg_map_path'))
        missing.extend(p for p in paths if p and not osp.isfile(p))
    return missing


@DATASETS.register_module()
class MixedDataset(Dataset):
    """Wrap a labeled and an unlabeled dataset into one training set.

    Item ``i`` pairs labeled sample ``i % len(labeled)`` with unlabeled
    sample ``i % len(unlabeled)`` and has the layout
    ``dict(inputs=dict(sup, weak, strong), data_samples=dict(sup, weak,
    strong))``. The length is the larger of the two, so one pass of a
    shuffled sampler sees every unlabeled image once while the (usually
    smaller) labeled set repeats.

    The labeled pipeline must end with ``PackSegInputs``; the unlabeled one
    with ``StrongView`` and ``PackWeakStrongSegInputs`` (PseudoSeg) or
    ``PackMultiViewSegInputs`` (UniMatch: ``weak``, ``strong1``, ...).

    With ``with_mix`` each item also carries a second unlabeled sample, the
    mix batch of UniMatch and FixMatch, whose branches are the unlabeled
    ones prefixed ``mix_`` (``mix_weak``, ``mix_strong1``, ...). It is
    unlabeled sample ``j``, ``j`` drawn uniformly from numpy's global RNG
    (seeded per worker by mmengine), independently of the sampler: the
    release draws it from a second, independently shuffled loader of the
    same unlabeled set.

    Args:
        labeled (dict): Config of the labeled dataset.
        unlabeled (dict): Config of the unlabeled dataset.
        with_mix (bool): Add the mix sample. Defaults to False.
    """

    def __init__(self,
                 labeled: ConfigType,
                 unlabeled: ConfigType,
                 with_mix: bool = False) -> None:
        super().__init__()
        self.with_mix = bool(with_mix)
        self.split_files = dict(
            labeled=_split_file(labeled), unlabeled=_split_file(unlabeled))
        for name, path in self.split_files.items():
            if path and not osp.isfile(path):
                raise FileNotFoundError(
                    f'MixedDataset.{name}: split file {path} does not exist '
                    '(the standard VOC/COCO lists ship in mmseg_pseudoseg/'
                    'data_splits/, see split_path(); for a custom set draw '
                    'one with tools/make_custom_splits.py, for the toy set '
                    'with tools/make_toy_dataset.py)')
            # mmseg turns a blank line into a bogus sample, so count ids.
            if path and not read_split(path):
                raise ValueError(f'MixedDataset.{name} is empty: split file '
                                 f'{path} lists no images')
        self.labeled = DATASETS.build(labeled)
        self.unlabeled = DATASETS.build(unlabeled)
        for name, dataset in (('labeled', self.labeled),
                              ('unlabeled', self.unlabeled)):
            if len(dataset) == 0:
                raise ValueError(
                    f'MixedDataset.{name} is empty: split file '
                    f'{self.split_files[name] or "(none)"} lists no images')
        for name, dataset in (('labeled', self.labeled),
                              ('unlabeled', self.unlabeled)):
            missing = missing_files(dataset)
            if missing:
                raise FileNotFoundError(
                    f'MixedDataset.{name}: {len(missing)} file(s) listed by '
                    f'{self.split_files[name] or "the dataset"} do not '
                    f'exist, e.g. {", ".join(missing[:3])}')
        classes = self.labeled.metainfo.get('classes')
        other = self.unlabeled.metainfo.get('classes')
        if classes is not None and other is not None and \
                tuple(classes) != tuple(other):
            raise ValueError('MixedDataset: labeled and unlabeled datasets '
                             f'have different classes: {classes} vs {other}')

    @property
    def metainfo(self) -> dict:
        """dict: The labeled dataset's meta information."""
        return self.labeled.metainfo

    def full_init(self) -> None:
        """Fully initialise both datasets (mmengine lazy-init protocol)."""
        self.labeled.full_init()
        self.unlabeled.full_init()

    def __len__(self) -> int:
        return max(len(self.labeled), len(self.unlabeled))

    def __getitem__(self, idx: int) -> dict:
        sup = self.labeled[idx % len(self.labeled)]
        unsup = self._unlabeled(idx % len(self.unlabeled))
        if isinstance(sup.get('inputs'), dict):
            raise TypeError('MixedDataset.labeled pipeline must end with '
                            'PackSegInputs')
        inputs = dict(sup=sup['inputs'], **unsup['inputs'])
        data_samples = dict(sup=sup['data_samples'], **unsup['data_samples'])
        if self.with_mix:
            mix = self._unlabeled(np.random.randint(len(self.unlabeled)))
            for name in unsup['inputs']:
                inputs[f'mix_{name}'] = mix['inputs'][name]
                data_samples[f'mix_{name}'] = mix['data_samples'][name]
        return dict(inputs=inputs, data_samples=data_samples)

    def _unlabeled(self, idx: int) -> dict:
        """Unlabeled sample ``idx``, checked to have a weak and a strong
        view."""
        unsup = self.unlabeled[idx]
        views = unsup.get('inputs')
        if not isinstance(views, dict) or 'weak' not in views or \
                not any(v.startswith('strong') for v in views):
            raise TypeError('MixedDataset.unlabeled pipeline must end with '
                            'PackWeakStrongSegInputs or '
                            'PackMultiViewSegInputs (got inputs of type '
                            f'{type(views).__name__})')
        return unsup
