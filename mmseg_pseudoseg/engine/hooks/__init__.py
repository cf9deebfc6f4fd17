from .config_check_hook import ConfigCheckHook
from .pseudo_label_fusion_hook import PseudoLabelFusionHook, unsup_ramp
from .pseudo_label_visualization_hook import PseudoLabelVisualizationHook

__all__ = [
    'ConfigCheckHook', 'PseudoLabelFusionHook', 'PseudoLabelVisualizationHook',
    'unsup_ramp'
]
