from .formatting import PackWeakStrongSegInputs
from .load_image_level_labels import LoadImageLevelLabels
from .strong_augment import ColorJitter, CutOut, StrongView
from .validate_seg_map import ValidateSegMap

__all__ = [
    'ColorJitter', 'CutOut', 'LoadImageLevelLabels', 'PackWeakStrongSegInputs',
    'StrongView', 'ValidateSegMap'
]
