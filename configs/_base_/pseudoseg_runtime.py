# The runtime of PseudoSeg runs: ours plus the hook that logs pseudo-label
# statistics (and could ramp the consistency loss; the method does not).
_base_ = './default_runtime.py'
custom_hooks = [
    dict(type='PseudoLabelFusionHook', log_interval=50),
    dict(type='NonFiniteGuardHook'),
    dict(type='RNGStateHook'),
]
