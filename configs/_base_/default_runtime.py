# mmseg's runtime plus this package's registration, a fixed seed (the
# release trains with seed 0; pass --cfg-options randomness.seed=N for
# other seeds; bit-exact --resume needs a fixed one) and the reliability
# hooks: a non-finite loss, gradient or BN statistic stops training before
# it is saved (action='skip' skips such steps instead), and checkpoints
# carry the RNG states so that --resume continues the same run.
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)
randomness = dict(seed=0)
custom_hooks = [dict(type='NonFiniteGuardHook'), dict(type='RNGStateHook')]
