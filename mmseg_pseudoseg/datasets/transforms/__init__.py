from .formatting import PackWeakStrongSegInputs
from .strong_augment import RandAugmentColor, StrongView
from .validate_seg_map import ValidateSegMap

__all__ = [
    'PackWeakStrongSegInputs', 'RandAugmentColor', 'StrongView',
    'ValidateSegMap'
]
