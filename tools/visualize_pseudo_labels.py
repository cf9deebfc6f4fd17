"""Draw PseudoSeg's pseudo labels of a checkpoint for a list of images.

For each image: the whole image as the weak view and its strong view
(the config's ``StrongView``: colour jitter + CutOut), then the maps of
``PseudoSeg.pseudo_label_maps`` with the model in inference mode (BN
running statistics, no dropout; training computes the decoder's map with
batch statistics instead). Writes ``<out-dir>/<image id>.png`` (the panels
side by side with titles) and ``<out-dir>/<image id>_<panel>.png`` (each
panel at the image's size)::

    python tools/visualize_pseudo_labels.py CONFIG CHECKPOINT \\
        --images a.jpg b.jpg --out-dir work_dirs/pseudo_labels
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import mmseg_pseudoseg  # noqa: F401  (registers modules, installs shims)
from mmseg.registry import DATASETS, MODELS
from mmseg_pseudoseg.utils.config_checks import (dataset_classes,
                                                 iter_datasets, iter_typed)
from mmseg_pseudoseg.visualization.pseudo_label_drawer import draw_batch
from mmseg_pseudoseg.visualization.pseudo_label_panels import overview


def parse_args():
    parser = argparse.ArgumentParser(
        description='Draw the pseudo labels of a PseudoSeg checkpoint')
    parser.add_argument('config', help='the PseudoSeg config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--images', nargs='+', required=True, help='image files')
    parser.add_argument(
        '--seg-maps',
        nargs='+',
        help='label maps of the same images, in the same order, for a '
        'ground-truth panel')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the strong view')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    return parser.parse_args()


def strong_view_cfgs(cfg: Config) -> list:
    """The ``StrongView`` steps of the config's unlabeled training pipeline
    (colour jitter, then CutOut on the strong image), without geometry."""
    dataset = cfg.train_dataloader.dataset
    views = [
        node for key, node in iter_typed(dataset, 'train_dataloader.dataset')
        if node['type'] == 'StrongView'
    ]
    if not views:
        raise ValueError('the config has no StrongView in its training '
                         'pipeline (train_dataloader.dataset.unlabeled.'
                         'pipeline): is it a PseudoSeg config?')
    return views


def check_files(args) -> None:
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    files = args.images + (args.seg_maps or [])
    missing = [f for f in files if not osp.isfile(f)]
    if missing:
        raise FileNotFoundError(f'files do not exist: {missing}')
    if args.seg_maps and len(args.seg_maps) != len(args.images):
        raise ValueError(f'--seg-maps lists {len(args.seg_maps)} files for '
                         f'{len(args.images)} --images')


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    check_files(args)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    if not callable(getattr(model, 'pseudo_label_maps', None)):
        raise TypeError(f'{args.config} builds a {type(model).__name__}, '
                        'which has no pseudo labels (use a PseudoSeg config)')
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.to(args.device).eval()
    loading = [dict(type='LoadImageFromFile')]
    if args.seg_maps:
        loading += [dict(type='LoadAnnotations')]
    pipeline = Compose(loading + strong_view_cfgs(cfg) +
                       [dict(type='PackWeakStrongSegInputs')])
    classes, palette = _classes_and_palette(cfg, model.num_classes)
    os.makedirs(args.out_dir, exist_ok=True)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    for i, image in enumerate(args.images):
        results = dict(img_path=image, reduce_zero_label=False, seg_fields=[])
        if args.seg_maps:
            results['seg_map_path'] = args.seg_maps[i]
        batch = pseudo_collate([pipeline(results)])
        for stem, panels, titles in draw_batch(model, batch, False, 1,
                                               palette, classes):
            _write(osp.join(args.out_dir, f'{stem}.png'),
                   overview(panels, titles))
            for name, panel in panels.items():
                _write(osp.join(args.out_dir, f'{stem}_{name}.png'), panel)
    print(f'wrote pictures of {len(args.images)} images to {args.out_dir}')


def _classes_and_palette(cfg: Config, num_classes: int):
    """Class names and palette of the labeled training set."""
    _, labeled = next(iter_datasets(cfg.train_dataloader.dataset, ''))
    classes, _ = dataset_classes(labeled)
    palette = (labeled.get('metainfo') or {}).get('palette')
    if palette is None:
        cls = DATASETS.get(labeled['type'])
        palette = getattr(cls, 'METAINFO', {}).get('palette')
    if palette is None or len(palette) < num_classes:
        rng = np.random.RandomState(42)  # mmseg's fixed random palette
        palette = rng.randint(0, 255, size=(num_classes, 3)).tolist()
    return classes, palette


def _write(path: str, rgb: np.ndarray) -> None:
    if not cv2.imwrite(path, rgb[..., ::-1]):
        raise OSError(f'could not write {path}')


if __name__ == '__main__':
    main()
