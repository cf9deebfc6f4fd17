"""Export a trained PseudoSeg, UniMatch or FixMatch (any SemiBaseSegmentor)
or supervised checkpoint as a plain mmseg model that stock mmseg loads,
tests and serves without mmseg_pseudoseg.

    python tools/model_converters/pseudoseg2mmseg.py CONFIG CHECKPOINT OUT_DIR

writes ``OUT_DIR/<config name>.py`` (a self-contained ``EncoderDecoder``
config: no types of this package, no ``custom_imports``; val/test settings
only) and ``OUT_DIR/<checkpoint name>.pth`` (the segmentor's weights, with
``segmentor.`` stripped, and the dataset's classes and palette in
``meta``). The weights are loaded into the plain model (strictly) before
anything is written. Then, e.g.:

    python tools/misc/publish_model.py OUT_DIR/iter_1500.pth published.pth
    python tools/test.py OUT_DIR/toy.py OUT_DIR/iter_1500.pth  # stock mmseg
"""
import argparse
import os
import os.path as osp
import sys

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)  # run from a checkout without installing
import mmseg_pseudoseg  # noqa: E402,F401  (registration, shims)
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner.checkpoint import _load_checkpoint  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

from mmseg_pseudoseg.apis import (plain_mmseg_checkpoint,  # noqa: E402
                                  plain_mmseg_config)
from mmseg_pseudoseg.utils.checkpoint import (check_checkpoint,  # noqa: E402
                                              commit_file, temporary_path)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config the model was trained '
                        'with')
    parser.add_argument('checkpoint', help='the checkpoint to export')
    parser.add_argument('out_dir', help='folder for the config and weights')
    return parser.parse_args()


def export(config: str, checkpoint: str, out_dir: str):
    """Write the plain config and weights; return their paths."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file {config} does not exist')
    check_checkpoint(checkpoint)
    cfg = Config.fromfile(config)
    plain = plain_mmseg_config(cfg, source=config)
    ckpt = plain_mmseg_checkpoint(
        _load_checkpoint(checkpoint, map_location='cpu'),
        cfg.model.get('type'),
        source=checkpoint)
    if 'dataset_meta' not in ckpt['meta']:
        metainfo = plain.get('test_dataloader', {}).get('dataset', {}).get(
            'metainfo')
        if metainfo:
            ckpt['meta']['dataset_meta'] = dict(metainfo)
    init_default_scope('mmseg')
    model = MODELS.build(plain.model)
    try:
        model.load_state_dict(ckpt['state_dict'], strict=True)
    except RuntimeError as e:
        raise RuntimeError(f'the weights of {checkpoint} do not fit the '
                           f'exported model of {config}: {e}') from e
    os.makedirs(out_dir, exist_ok=True)
    cfg_path = osp.join(out_dir, osp.basename(config))
    ckpt_path = osp.join(out_dir, osp.basename(checkpoint))
    if osp.abspath(cfg_path) == osp.abspath(config) or \
            osp.abspath(ckpt_path) == osp.abspath(checkpoint):
        raise ValueError(f'{out_dir} would overwrite the inputs; choose '
                         'another folder')
    plain.dump(cfg_path)
    tmp = temporary_path(ckpt_path)
    torch.save(ckpt, tmp)
    commit_file(tmp, ckpt_path)
    return cfg_path, ckpt_path


def main():
    args = parse_args()
    cfg_path, ckpt_path = export(args.config, args.checkpoint, args.out_dir)
    print(f'plain mmseg config: {cfg_path}\nweights: {ckpt_path}')


if __name__ == '__main__':
    main()
