from .fault_injection_hook import FaultInjectionHook, InjectedFault
from .non_finite_guard_hook import NonFiniteError, NonFiniteGuardHook
from .pseudo_label_fusion_hook import PseudoLabelFusionHook, unsup_ramp
from .rng_state_hook import RNGStateHook

__all__ = [
    'FaultInjectionHook', 'InjectedFault', 'NonFiniteError',
    'NonFiniteGuardHook', 'PseudoLabelFusionHook', 'RNGStateHook',
    'unsup_ramp'
]
