from .formatting import PackWeakStrongSegInputs
from .load_image_level_labels import LoadImageLevelLabels  # noqa: F401
from .strong_augment import RandAugmentColor, StrongView
from .validate_seg_map import ValidateSegMap

__all__ = [
    'PackWeakStrongSegInputs', 'RandAugmentColor', 'StrongView',
    'ValidateSegMap'
]
