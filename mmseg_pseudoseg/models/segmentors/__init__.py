from .pseudoseg import PseudoSeg
from .semi_base import SemiBaseSegmentor
from .unimatch import UniMatch

__all__ = ['PseudoSeg', 'SemiBaseSegmentor', 'UniMatch']
