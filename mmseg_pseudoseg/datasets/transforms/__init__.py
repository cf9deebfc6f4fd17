from .formatting import PackWeakStrongSegInputs
from .load_image_level_labels import (ImageLabelsFromSegMap,
                                      LoadImageLevelLabels)
from .strong_augment import ColorJitter, CutOut, SameGeometry, StrongView
from .validate_seg_map import ValidateSegMap

__all__ = [
    'ColorJitter', 'CutOut', 'ImageLabelsFromSegMap', 'LoadImageLevelLabels',
    'PackWeakStrongSegInputs', 'SameGeometry', 'StrongView', 'ValidateSegMap'
]
