"""Consistency checks of a whole config, run before any training work.

A mismatch between the data set's classes, the heads' ``num_classes`` and
the label validators trains silently wrong (a 4-class model on a 3-class
set never predicts the fourth class; a validator with a larger count lets
bad labels through). A second trap is mmengine's config inheritance: a
``_base_`` file's variables are resolved when that file loads, so a child
that redefines ``num_classes``, ``crop_size`` or ``data_root`` at its top
level changes that variable only, not the dicts the base built from it.
:func:`check_config` finds both and names the config keys at fault;
:class:`~mmseg_pseudoseg.engine.hooks.ConfigCheckHook` runs it in every
entry point (``tools/train.py``, ``tools/test.py``, ``Runner.from_cfg``).
"""
from collections import OrderedDict
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from mmseg.registry import DATASETS

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# Top-level variables whose redefinition in a child config is a known trap.
TOP_LEVEL_KEYS = ('num_classes', 'crop_size', 'data_root')
# Keys of dataset wrappers that hold the wrapped dataset config(s).
_WRAPPED = ('labeled', 'unlabeled', 'dataset', 'datasets')
_INHERITANCE_HINT = (
    'mmengine resolves a _base_ file\'s variables when that file loads, so '
    'redefining a variable such as `{name}` in a child config does not '
    'reach the dicts built from it in the base: set the keys listed above '
    '(or build the config with mmseg_pseudoseg.utils.custom_data, see '
    'configs/examples/custom_example.py).')


def _get(node: Any, key: str, default: Any = None) -> Any:
    """``node.get(key)`` for dicts (and Config), ``default`` otherwise."""
    return node.get(key, default) if hasattr(node, 'get') else default


def iter_datasets(node: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """Leaf dataset configs under a dataset config, with their keys.

    Wrappers (``MixedDataset``'s ``labeled``/``unlabeled``, ``dataset`` of
    ``RepeatDataset`` and the like, ``datasets`` of ``ConcatDataset``) are
    entered; anything else with a ``type`` is a leaf.
    """
    if not isinstance(node, dict):
        return
    wrapped = [k for k in _WRAPPED if k in node]
    if not wrapped:
        if 'type' in node:
            yield key, node
        return
    for name in wrapped:
        child = node[name]
        if isinstance(child, (list, tuple)):
            for i, item in enumerate(child):
                yield from iter_datasets(item, f'{key}.{name}[{i}]')
        else:
            yield from iter_datasets(child, f'{key}.{name}')


def iter_all_datasets(cfg: Any) -> Iterator[Tuple[str, dict]]:
    """Leaf datasets of the train, val and test dataloaders."""
    for loader in DATALOADERS:
        dataset = _get(_get(cfg, loader), 'dataset')
        if dataset is not None:
            yield from iter_datasets(dataset, f'{loader}.dataset')


def iter_typed(node: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """Every dict with a ``type`` under ``node`` (transforms nested in
    ``RandomChoice``, ``StrongView``, ``TestTimeAug`` ... included)."""
    if isinstance(node, dict):
        if 'type' in node:
            yield key, node
        for name, value in node.items():
            if isinstance(value, (dict, list, tuple)):
                yield from iter_typed(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from iter_typed(value, f'{key}[{i}]')


def iter_transforms(cfg: Any,
                    loaders: Sequence[str] = DATALOADERS
                    ) -> Iterator[Tuple[str, dict]]:
    """Every transform config in the pipelines of the given dataloaders."""
    for loader in loaders:
        dataset = _get(_get(cfg, loader), 'dataset')
        if dataset is None:
            continue
        for key, node in iter_typed(dataset, f'{loader}.dataset'):
            if '.pipeline' in key:
                yield key, node


def iter_heads(model: Any, key: str = 'model') -> Iterator[Tuple[str, dict]]:
    """Every dict with ``num_classes`` in a model config, the backbone's
    subtree left out."""
    for sub_key, node in iter_dicts(model, key):
        if 'num_classes' in node and '.backbone' not in sub_key:
            yield sub_key, node


def iter_dicts(node: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """Every dict under ``node`` (itself included), with its key."""
    if isinstance(node, dict):
        yield key, node
        for name, value in node.items():
            yield from iter_dicts(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from iter_dicts(value, f'{key}[{i}]')


def dataset_classes(dataset: dict) -> Tuple[Optional[tuple], str]:
    """The classes a dataset config will have, and where they come from.

    ``metainfo.classes`` of the config wins (mmseg maps labels to that
    subset); otherwise the registered class's ``METAINFO``. (None, '') when
    neither is known, e.g. an unregistered type.
    """
    classes = _get(_get(dataset, 'metainfo'), 'classes')
    if classes is not None:
        return tuple(classes), 'metainfo.classes'
    dataset_type = dataset.get('type')
    cls = DATASETS.get(dataset_type) if isinstance(dataset_type,
                                                   str) else dataset_type
    classes = getattr(cls, 'METAINFO', {}).get('classes')
    if classes is None:
        return None, ''
    return tuple(classes), f'{getattr(cls, "__name__", cls)}.METAINFO'


def _class_counts(cfg: Any) -> 'OrderedDict[str, int]':
    """Every class count of the config, by the key that sets it."""
    counts = OrderedDict()
    for key, dataset in iter_all_datasets(cfg):
        classes, source = dataset_classes(dataset)
        if classes is not None:
            counts[f'{key} ({source}: {len(classes)} classes)'] = \
                len(classes)
    model = _get(cfg, 'model')
    if model is not None:
        for key, head in iter_heads(model):
            counts[f'{key}.num_classes'] = head['num_classes']
    for key, transform in iter_transforms(cfg):
        if 'num_classes' in transform:
            counts[f'{key}.num_classes ({transform["type"]})'] = \
                transform['num_classes']
    return counts


def _disagreement(what: str, values: 'OrderedDict[str, Any]') -> str:
    groups = OrderedDict()
    for key, value in values.items():
        groups.setdefault(repr(value), []).append(key)
    lines = [f'{what} disagrees:']
    for value, keys in groups.items():
        lines.append(f'  {value}: ' + ', '.join(keys))
    return '\n'.join(lines)


def _crop_sizes(cfg: Any) -> 'OrderedDict[str, tuple]':
    """Crop sizes set in the model's preprocessors and the train pipelines.
    """
    sizes = OrderedDict()
    model = _get(cfg, 'model')
    if model is not None:
        for key, node in iter_dicts(model, 'model'):
            if key.endswith('data_preprocessor') and \
                    node.get('size') is not None:
                sizes[f'{key}.size'] = tuple(node['size'])
    for key, transform in iter_transforms(cfg, ('train_dataloader', )):
        if transform['type'] == 'RandomCrop' and 'crop_size' in transform:
            crop = transform['crop_size']
            crop = (crop, crop) if isinstance(crop, int) else tuple(crop)
            sizes[f'{key}.crop_size'] = crop
        elif transform['type'] == 'CutOut' and \
                transform.get('pad_to') is not None:
            sizes[f'{key}.pad_to'] = tuple(transform['pad_to'])
        elif transform['type'] == 'RandomCutMixBox' and \
                'crop_size' in transform:
            sizes[f'{key}.crop_size'] = tuple(transform['crop_size'])
    return sizes


def check_config(cfg: Any,
                 top_level_keys: Sequence[str] = TOP_LEVEL_KEYS
                 ) -> List[str]:
    """Problems of a config that would make it train silently wrong.

    Checks that (1) every train/val/test dataset's classes, every head's
    ``num_classes`` (decode, auxiliary, SGC; the backbone left out) and
    every pipeline transform's ``num_classes`` (``ValidateSegMap``,
    ``LoadImageLevelLabels``) agree; (2) the model's preprocessor size, the
    train pipelines' ``RandomCrop.crop_size``, ``CutOut.pad_to`` and
    ``RandomCutMixBox.crop_size`` agree;
    (3) each of ``top_level_keys`` present at the top level agrees with the
    keys it is meant to set (``num_classes`` with (1), ``crop_size`` with
    (2), ``data_root`` with at least one dataset's ``data_root``).

    Args:
        cfg (Config | dict): The whole config.
        top_level_keys (Sequence[str]): Top-level variables to check
            against their uses; () to skip (3).

    Returns:
        list[str]: One message per problem, naming the keys and values;
        empty when the config is consistent.
    """
    problems = []
    counts = _class_counts(cfg)
    if 'num_classes' in top_level_keys and \
            _get(cfg, 'num_classes') is not None and counts:
        counts['num_classes (top level)'] = _get(cfg, 'num_classes')
    if len(set(counts.values())) > 1:
        message = _disagreement('The number of classes', counts)
        if 'num_classes (top level)' in counts:
            message += '\n' + _INHERITANCE_HINT.format(name='num_classes')
        problems.append(message)
    crops = _crop_sizes(cfg)
    top_crop = _get(cfg, 'crop_size')
    if 'crop_size' in top_level_keys and top_crop is not None and crops:
        crops['crop_size (top level)'] = tuple(top_crop)
    if len(set(crops.values())) > 1:
        message = _disagreement('The crop size', crops)
        if 'crop_size (top level)' in crops:
            message += '\n' + _INHERITANCE_HINT.format(name='crop_size')
        problems.append(message)
    top_root = _get(cfg, 'data_root')
    if 'data_root' in top_level_keys and isinstance(top_root, str):
        roots = OrderedDict(
            (f'{key}.data_root', dataset.get('data_root'))
            for key, dataset in iter_all_datasets(cfg))
        if roots and top_root not in roots.values():
            problems.append(
                f'data_root = {top_root!r} at the top level of the config '
                'is used by no dataset:\n' + '\n'.join(
                    f'  {key} = {value!r}' for key, value in roots.items())
                + '\n' + _INHERITANCE_HINT.format(name='data_root'))
    return problems


def assert_config_consistent(cfg: Any,
                             top_level_keys: Sequence[str] = TOP_LEVEL_KEYS,
                             source: str = 'config') -> None:
    """Raise ``ValueError`` listing every problem :func:`check_config`
    finds.

    Args:
        cfg (Config | dict): The whole config.
        top_level_keys (Sequence[str]): See :func:`check_config`.
        source (str): How to name the config in the message (its file).
    """
    problems = check_config(cfg, top_level_keys)
    if problems:
        raise ValueError(
            f'{source} is inconsistent (checked before any training or '
            'testing):\n' + '\n'.join(f'- {p}' for p in problems))
