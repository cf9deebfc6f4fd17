"""Set data root, classes and crop once, for a whole config.

mmengine resolves a ``_base_`` file's variables when that file loads: a
child config that redefines ``num_classes`` or ``data_root`` at its top
level changes that variable, not the heads, pipelines and datasets the base
built from it. These helpers walk the base's dicts structurally (by
``type``) and write the values into every place that needs them, so a
config sets each value once (see ``configs/examples/custom_example.py``)::

    _base_ = [...the four bases of a PseudoSeg leaf...]
    from mmseg_pseudoseg.utils.custom_data import custom_data  # noqa: E402
    _data = custom_data(_base_, data_root='data/mine', classes=(...))
    model = _data.model
    ...

(An old-style config may import after its ``_base_`` line; mmengine drops
imported modules and functions from the config.)
"""
import copy
from typing import Any, List, Optional, Sequence, Tuple, Union

from mmengine.config import ConfigDict

from .config_checks import (iter_datasets, iter_dicts, iter_heads,
                            iter_transforms)

SECTIONS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
            'custom_hooks')
CHECK_HOOK = 'ConfigCheckHook'


def set_num_classes(sections: dict, num_classes: int) -> List[str]:
    """Write ``num_classes`` into every head and pipeline transform.

    Heads are the dicts with ``num_classes`` in ``model`` outside the
    backbone (decode, auxiliary, SGC heads); transforms those with
    ``num_classes`` in any dataloader's pipelines (``ValidateSegMap``,
    ``LoadImageLevelLabels``). In place.

    Args:
        sections (dict): Top-level config keys (``model``,
            ``*_dataloader``), e.g. a whole config.
        num_classes (int): K, classes including background.

    Returns:
        list[str]: The keys that were set.
    """
    changed = []
    if sections.get('model') is not None:
        for key, head in iter_heads(sections['model']):
            head['num_classes'] = num_classes
            changed.append(f'{key}.num_classes')
    for key, transform in iter_transforms(sections):
        if 'num_classes' in transform:
            transform['num_classes'] = num_classes
            changed.append(f'{key}.num_classes')
    return changed


def set_crop_size(sections: dict, crop_size: Sequence[int]) -> List[str]:
    """Write a crop size into the preprocessors and the train pipelines.

    Sets every ``*data_preprocessor.size`` of the model (that has one),
    every ``RandomCrop.crop_size``, ``RandomCutMixBox.crop_size`` and
    ``CutOut.pad_to`` of the training pipelines, and scales each
    ``CutOut.size`` with the crop (the release's box is 100 px per 513 px
    of crop). Resize scales are left alone: the
    PseudoSeg primitives use scale factors. In place.

    Args:
        sections (dict): Top-level config keys, e.g. a whole config.
        crop_size (Sequence[int]): (H, W).

    Returns:
        list[str]: The keys that were set.
    """
    crop = tuple(int(v) for v in crop_size)
    if len(crop) != 2 or min(crop) < 1:
        raise ValueError(f'crop_size must be (H, W) > 0, got {crop_size}')
    changed = []
    old = None
    if sections.get('model') is not None:
        for key, node in iter_dicts(sections['model'], 'model'):
            if key.endswith('data_preprocessor') and \
                    node.get('size') is not None:
                old = old or tuple(node['size'])
                node['size'] = crop
                changed.append(f'{key}.size')
    train = ('train_dataloader', )
    for key, transform in iter_transforms(sections, train):
        if transform['type'] == 'RandomCrop':
            size = transform['crop_size']
            old = old or ((size, size) if isinstance(size, int) else
                          tuple(size))
            transform['crop_size'] = crop
            changed.append(f'{key}.crop_size')
        elif transform['type'] == 'RandomCutMixBox':  # UniMatch's boxes
            transform['crop_size'] = crop
            changed.append(f'{key}.crop_size')
    for key, transform in iter_transforms(sections, train):
        if transform['type'] != 'CutOut':
            continue
        ref = tuple(transform.get('pad_to') or old or crop)
        size = transform['size']
        size = (size, size) if isinstance(size, int) else tuple(size)
        transform['size'] = tuple(
            max(1, round(s * c / r)) for s, c, r in zip(size, crop, ref))
        changed.append(f'{key}.size')
        if transform.get('pad_to') is not None:
            transform['pad_to'] = crop
            changed.append(f'{key}.pad_to')
    return changed


def custom_data(base: Any,
                data_root: str,
                classes: Sequence[str],
                palette: Optional[Sequence[Sequence[int]]] = None,
                crop_size: Optional[Union[int, Tuple[int, int]]] = None,
                labeled_split: str = 'splits/1-8/labeled.txt',
                unlabeled_split: str = 'splits/1-8/unlabeled.txt',
                val_split: str = 'ImageSets/Segmentation/val.txt',
                img_dir: str = 'JPEGImages',
                seg_map_dir: str = 'SegmentationClass',
                img_suffix: str = '.jpg',
                seg_map_suffix: str = '.png') -> ConfigDict:
    """Config sections of a base config, pointed at your own data set.

    The data set is in Pascal VOC layout under ``data_root``: images
    ``{img_dir}/<id>{img_suffix}``, label maps ``{seg_map_dir}/<id>
    {seg_map_suffix}`` (values 0..K-1, 255 ignored), split files of ids.
    Every leaf dataset of the base's dataloaders becomes a
    ``BaseSegDataset`` with these classes (its pipeline kept): a
    ``MixedDataset``'s ``labeled``/``unlabeled`` read ``labeled_split``/
    ``unlabeled_split``, a plain training set (supervised primitive) reads
    ``labeled_split``, val and test read ``val_split``. Then
    :func:`set_num_classes` and :func:`set_crop_size` write K and the crop
    everywhere, and a ``ConfigCheckHook`` is added to ``custom_hooks`` if
    it is missing.

    Args:
        base (dict): The base config (``_base_`` inside a config file).
        data_root (str): Root folder of the data set.
        classes (Sequence[str]): Class names, background first.
        palette (Sequence[Sequence[int]], optional): One RGB colour per
            class; None lets mmseg draw a fixed random one.
        crop_size (int | tuple[int, int], optional): Training crop (H, W);
            None keeps the base's.
        labeled_split (str): Labeled ids, relative to ``data_root``.
        unlabeled_split (str): Unlabeled ids (PseudoSeg only).
        val_split (str): Validation/test ids.
        img_dir (str): Image folder under ``data_root``.
        seg_map_dir (str): Label folder under ``data_root``.
        img_suffix (str): Image file suffix.
        seg_map_suffix (str): Label file suffix.

    Returns:
        ConfigDict: ``model``, ``train_dataloader``, ``val_dataloader``,
        ``test_dataloader`` and ``custom_hooks``, complete (each with
        ``_delete_=True``), to assign to the config's top-level names.
    """
    classes = tuple(classes)
    if len(classes) < 2:
        raise ValueError('custom_data: classes must name background and at '
                         f'least one class, got {classes}')
    if palette is not None and len(palette) != len(classes):
        raise ValueError(f'custom_data: palette has {len(palette)} colours '
                         f'for {len(classes)} classes')
    metainfo = dict(classes=classes)
    if palette is not None:
        metainfo['palette'] = [list(c) for c in palette]
    sections = {
        name: copy.deepcopy(base.get(name))
        for name in SECTIONS if base.get(name) is not None
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if sections.get(loader) is None:
            continue
        dataset = sections[loader]['dataset']
        for key, leaf in list(iter_datasets(dataset, '')):
            if loader != 'train_dataloader':
                ann_file = val_split
            elif key.endswith('unlabeled'):
                ann_file = unlabeled_split
            else:
                ann_file = labeled_split
            pipeline = leaf.get('pipeline', [])
            leaf.clear()
            leaf.update(
                type='BaseSegDataset',
                data_root=data_root,
                data_prefix=dict(img_path=img_dir, seg_map_path=seg_map_dir),
                img_suffix=img_suffix,
                seg_map_suffix=seg_map_suffix,
                ann_file=ann_file,
                metainfo=copy.deepcopy(metainfo),
                pipeline=pipeline)
    set_num_classes(sections, len(classes))
    if crop_size is not None:
        crop = (crop_size, crop_size) if isinstance(crop_size,
                                                    int) else crop_size
        set_crop_size(sections, crop)
    hooks = list(sections.get('custom_hooks') or [])
    if not any(h.get('type') == CHECK_HOOK for h in hooks):
        hooks.append(dict(type=CHECK_HOOK))
    sections['custom_hooks'] = hooks
    out = ConfigDict()
    for name, value in sections.items():
        out[name] = value if isinstance(value, list) else \
            dict(value, _delete_=True)
    return out
