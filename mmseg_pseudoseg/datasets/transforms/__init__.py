from .formatting import PackWeakStrongSegInputs
from .strong_augment import ColorJitter, CutOut, StrongView
from .validate_seg_map import ValidateSegMap

__all__ = [
    'ColorJitter', 'CutOut', 'PackWeakStrongSegInputs', 'StrongView',
    'ValidateSegMap'
]
