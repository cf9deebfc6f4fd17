# imported for registration
from .dataset_wrappers import MixedDataset
from .splits import make_splits, read_split, write_splits
from .toy_shapes import ToyShapesDataset, make_toy_dataset, set_data_root
from .transforms import *  # noqa: F401,F403

__all__ = [
    'MixedDataset', 'ToyShapesDataset', 'make_toy_dataset', 'make_splits',
    'read_split', 'write_splits', 'set_data_root'
]
