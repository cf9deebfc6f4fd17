# imported for registration
from .coco81 import COCO81Dataset
from .dataset_wrappers import MixedDataset
from .splits import (list_splits, make_splits, read_split, split_path,
                     write_splits)
from .toy_patterns import (ToyPatterns16Dataset, ToyPatternsDataset,
                           check_toy_patterns, make_toy_patterns)
from .toy_scenes import ToyScenesDataset, make_toy_scenes
from .toy_shapes import ToyShapesDataset, make_toy_dataset, set_data_root
from .transforms import *  # noqa: F401,F403

__all__ = [
    'COCO81Dataset', 'MixedDataset', 'ToyPatternsDataset',
    'ToyPatterns16Dataset', 'ToyScenesDataset',
    'check_toy_patterns',
    'ToyShapesDataset', 'list_splits', 'make_toy_dataset', 'make_toy_patterns',
    'make_toy_scenes', 'make_splits',
    'read_split', 'set_data_root', 'split_path', 'write_splits'
]
