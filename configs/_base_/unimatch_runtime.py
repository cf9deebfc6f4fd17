# The runtime of UniMatch / FixMatch runs: ours plus the hook that logs
# pseudo-label statistics of the weak view (mean confidence, share of
# pixels at confidence >= the threshold, class histogram). No ramp-up: the
# release weighs the unsupervised losses fully from the first iteration.
_base_ = './default_runtime.py'
custom_hooks = [
    dict(type='PseudoLabelFusionHook', log_interval=50),
    dict(type='ConfigCheckHook'),
    dict(type='NonFiniteGuardHook'),
    dict(type='RNGStateHook'),
]
