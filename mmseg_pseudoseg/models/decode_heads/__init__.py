from .sgc_head import SGCHead

__all__ = ['SGCHead']
