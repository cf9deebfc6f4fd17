"""Turn a semi-supervised (PseudoSeg, UniMatch, ...) or supervised run into
a plain mmseg model: the wrapped ``EncoderDecoder``'s weights and a
self-contained config that stock mmseg builds, tests and serves without
this package.

``tools/model_converters/pseudoseg2mmseg.py`` is the command line.
"""
import copy
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmseg.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOG_PROCESSORS,
                            LOOPS, METRICS, MODELS, TRANSFORMS, VISBACKENDS,
                            VISUALIZERS)

_OURS = 'mmseg_pseudoseg'
_REGISTRIES = (MODELS, TRANSFORMS, DATASETS, METRICS, HOOKS, LOOPS,
               DATA_SAMPLERS, VISUALIZERS, VISBACKENDS, LOG_PROCESSORS)
# What a test / inference config needs; the training parts are left out.
_KEPT = ('default_scope', 'env_cfg', 'log_processor', 'log_level',
         'visualizer', 'vis_backends', 'randomness', 'val_evaluator',
         'test_evaluator', 'val_cfg', 'test_cfg')
_STOCK_HOOKS = dict(AtomicCheckpointHook='CheckpointHook')


def _class_of(type_name: str) -> Optional[type]:
    """The class ``type_name`` names in mmseg's registries (None if none)."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        for registry in _REGISTRIES:
            cls = registry.get(type_name)
            if cls is not None:
                return cls
    return None


def _is_ours(type_name: Any) -> bool:
    if not isinstance(type_name, str):
        return not getattr(type_name, '__module__', '').startswith('mmseg')
    cls = _class_of(type_name)
    return cls is not None and cls.__module__.startswith(_OURS)


def _types(node: Any, key: str = '') -> Iterator[Tuple[str, Any]]:
    """(key path, type) of every dict with a ``type`` in a config tree."""
    if isinstance(node, dict):
        if 'type' in node:
            yield key or '<root>', node['type']
        for k, v in node.items():
            yield from _types(v, f'{key}.{k}' if key else k)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _types(v, f'{key}[{i}]')


def custom_types(cfg: dict) -> List[str]:
    """``'key: type'`` for every type in ``cfg`` that this package defines
    (or that is not a registry name: a class or function object)."""
    return [f'{k}: {t}' for k, t in _types(cfg) if _is_ours(t)]


def is_semi_supervised(type_name: Any) -> bool:
    """Whether ``type_name`` is a :class:`SemiBaseSegmentor` subclass
    (PseudoSeg, UniMatch, ...), which wraps the trained segmentor."""
    from ..models.segmentors.semi_base import SemiBaseSegmentor
    cls = _class_of(type_name) if isinstance(type_name, str) else type_name
    return isinstance(cls, type) and issubclass(cls, SemiBaseSegmentor)


def _segmentor_cfg(model: ConfigDict, source: str) -> ConfigDict:
    """The stock ``EncoderDecoder`` config of a semi-supervised (PseudoSeg,
    UniMatch, ...) or plain model."""
    if not is_semi_supervised(model.get('type')):
        return copy.deepcopy(model)
    if model.get('test_head', 'decode_head') != 'decode_head':
        raise ValueError(
            f'{source}: model.test_head={model.test_head!r} predicts with '
            'the SGC head, which a plain EncoderDecoder does not have; '
            "export with model.test_head='decode_head'")
    from ..models.segmentors.semi_base import \
        multi_branch_preprocessor as _multi_branch_preprocessor
    seg = copy.deepcopy(model.segmentor)
    # The preprocessor the model uses, unwrapped from its multi-branch one.
    seg.data_preprocessor = _multi_branch_preprocessor(
        model.get('data_preprocessor'),
        seg.pop('data_preprocessor', None))['data_preprocessor']
    return seg


def _stock_dataset(dataset: ConfigDict) -> ConfigDict:
    """A dataset config of ours as mmseg's nearest base class, with the
    suffixes, classes and palette ours sets in code written out."""
    if not _is_ours(dataset.type):
        return dataset
    cls = _class_of(dataset.type)
    stock = next(
        (c for c in cls.__mro__
         if c.__module__.startswith('mmseg.') and c.__name__ in
         DATASETS.module_dict), None)
    if stock is None:
        raise ValueError(f'dataset type {dataset.type} has no mmseg base '
                         'class to export as')
    with DefaultScope.overwrite_default_scope('mmseg'):
        built = DATASETS.build(dict(dataset, pipeline=[], lazy_init=True))
    return ConfigDict(
        dataset,
        type=stock.__name__,
        img_suffix=built.img_suffix,
        seg_map_suffix=built.seg_map_suffix,
        reduce_zero_label=built.reduce_zero_label,
        metainfo=dict(
            classes=list(built.metainfo['classes']),
            palette=[list(p) for p in built.metainfo['palette']]))


def _stock_pipeline(pipeline: list) -> list:
    """The pipeline without our transforms (label checks only)."""
    return [copy.deepcopy(t) for t in pipeline if not _is_ours(t['type'])]


def plain_mmseg_config(cfg: Config, source: str = 'config') -> Config:
    """A self-contained config of the trained ``EncoderDecoder``.

    The model is the wrapped segmentor (``pretrained=None``, no backbone
    ``init_cfg``: the weights come from the exported checkpoint); the
    val/test dataloaders, evaluators and loops are kept, with our datasets
    as mmseg's base class and our transforms (label checks) left out; a
    top-level ``test_pipeline`` is set for ``mmseg.apis.inference_model``.
    Training settings, ``custom_hooks`` and ``custom_imports`` are dropped.

    Raises:
        ValueError: Naming the keys that still hold a type of this package.
    """
    plain = {k: copy.deepcopy(cfg[k]) for k in _KEPT if k in cfg}
    plain['default_scope'] = 'mmseg'
    model = _segmentor_cfg(cfg.model, source)
    model.pretrained = None
    if isinstance(model.get('backbone'), dict):
        model.backbone.init_cfg = None
    plain['model'] = model
    hooks = copy.deepcopy(cfg.get('default_hooks', {}))
    for name, hook in list(hooks.items()):
        hook.type = _STOCK_HOOKS.get(hook.type, hook.type)
        if _is_ours(hook.type):
            del hooks[name]
    plain['default_hooks'] = hooks
    for split in ('val', 'test'):
        loader = copy.deepcopy(cfg.get(f'{split}_dataloader'))
        if loader is None:
            continue
        loader.dataset = _stock_dataset(loader.dataset)
        loader.dataset.pipeline = _stock_pipeline(loader.dataset.pipeline)
        plain[f'{split}_dataloader'] = loader
    pipeline = cfg.get('test_pipeline') or \
        plain.get('test_dataloader', {}).get('dataset', {}).get('pipeline')
    if pipeline:
        plain['test_pipeline'] = _stock_pipeline(pipeline)
    left = custom_types(plain)
    if left:
        raise ValueError(f'{source}: cannot export, these types are not '
                         f'stock mmseg: {", ".join(left)}')
    return Config(plain)


def plain_mmseg_checkpoint(checkpoint: Dict[str, Any], model_type: str,
                           source: str = 'checkpoint') -> Dict[str, Any]:
    """The wrapped segmentor's weights (``segmentor.`` stripped) and a
    minimal ``meta``: the dataset's classes and palette, and the source.

    Raises:
        KeyError: If the checkpoint has no ``state_dict`` or, for
            semi-supervised model, no ``segmentor.*`` weights.
    """
    if 'state_dict' not in checkpoint:
        raise KeyError(f'{source} has no "state_dict" (keys: '
                       f'{sorted(checkpoint)})')
    state = checkpoint['state_dict']
    if is_semi_supervised(model_type):
        state = {
            k[len('segmentor.'):]: v
            for k, v in state.items() if k.startswith('segmentor.')
        }
        if not state:
            raise KeyError(f'{source} holds no "segmentor.*" weights: not '
                           f'a {model_type} checkpoint?')
    meta = dict(exported_from=osp.basename(source))
    dataset_meta = checkpoint.get('meta', {}).get('dataset_meta')
    if dataset_meta:
        meta['dataset_meta'] = {
            k: dataset_meta[k]
            for k in ('classes', 'palette') if k in dataset_meta
        }
    return dict(state_dict=dict(state), meta=meta)
