from .atomic_checkpoint_hook import AtomicCheckpointHook
from .config_check_hook import ConfigCheckHook
from .fault_injection_hook import FaultInjectionHook, InjectedFault
from .non_finite_guard_hook import NonFiniteError, NonFiniteGuardHook
from .pretrained_check_hook import PretrainedCheckHook, check_pretrained
from .pseudo_label_fusion_hook import PseudoLabelFusionHook, unsup_ramp
from .pseudo_label_visualization_hook import PseudoLabelVisualizationHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AtomicCheckpointHook', 'ConfigCheckHook', 'FaultInjectionHook',
    'InjectedFault', 'NonFiniteError', 'NonFiniteGuardHook',
    'PretrainedCheckHook', 'PseudoLabelFusionHook',
    'PseudoLabelVisualizationHook', 'RNGStateHook', 'check_pretrained',
    'unsup_ramp'
]
