from .formatting import PackMultiViewSegInputs, PackWeakStrongSegInputs
from .load_image_level_labels import (ImageLabelsFromSegMap,
                                      LoadImageLevelLabels)
from .strong_augment import ColorJitter, CutOut, SameGeometry, StrongView
from .unimatch_augment import (RandomColorJitter, RandomCutMixBox,
                               RandomGaussianBlur, sample_cutmix_box)
from .validate_seg_map import ValidateSegMap

__all__ = [
    'ColorJitter', 'CutOut', 'ImageLabelsFromSegMap', 'LoadImageLevelLabels',
    'PackMultiViewSegInputs', 'PackWeakStrongSegInputs', 'RandomColorJitter',
    'RandomCutMixBox', 'RandomGaussianBlur', 'SameGeometry', 'StrongView',
    'ValidateSegMap', 'sample_cutmix_box'
]
