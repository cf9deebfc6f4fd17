from .pseudo_label_fusion_hook import PseudoLabelFusionHook, unsup_ramp

__all__ = ['PseudoLabelFusionHook', 'unsup_ramp']
