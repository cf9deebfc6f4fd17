from .pseudoseg import PseudoSeg

__all__ = ['PseudoSeg']
