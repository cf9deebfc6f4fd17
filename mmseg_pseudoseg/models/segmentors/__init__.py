from .pseudoseg import PseudoSeg
from .semi_base import SemiBaseSegmentor

__all__ = ['PseudoSeg', 'SemiBaseSegmentor']
