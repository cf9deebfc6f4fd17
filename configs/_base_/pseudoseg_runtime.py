# The runtime of PseudoSeg runs: ours plus the hook that logs pseudo-label
# statistics (and could ramp the consistency loss; the method does not) and
# pictures of the pseudo labels of 2 unlabeled images every 1000 iterations
# (to the visualizer's backends: work_dir/<run>/vis_data/ by default).
_base_ = './default_runtime.py'
custom_hooks = [
    dict(type='PseudoLabelFusionHook', log_interval=50),
    dict(type='PseudoLabelVisualizationHook', interval=1000, max_images=2),
    dict(type='ConfigCheckHook'),
    dict(type='NonFiniteGuardHook'),
    dict(type='RNGStateHook'),
]
