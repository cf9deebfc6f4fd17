from .config_check_hook import ConfigCheckHook
from .pseudo_label_fusion_hook import PseudoLabelFusionHook, unsup_ramp

__all__ = ['ConfigCheckHook', 'PseudoLabelFusionHook', 'unsup_ramp']
