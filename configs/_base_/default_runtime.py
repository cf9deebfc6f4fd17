# mmseg's runtime plus this package's registration, a fixed seed (the
# release trains with seed 0; pass --cfg-options randomness.seed=N for
# other seeds; bit-exact --resume needs a fixed one) and hooks that keep a
# run from going wrong silently: ConfigCheckHook refuses mismatched
# classes, heads, label validators and crop sizes before any work;
# NonFiniteGuardHook stops on a non-finite loss, gradient or BN statistic
# before it is stepped on or saved (action='skip' skips such steps
# instead); RNGStateHook puts the RNG states into checkpoints so that
# --resume continues the same run.
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)
randomness = dict(seed=0)
custom_hooks = [
    dict(type='ConfigCheckHook'),
    dict(type='NonFiniteGuardHook'),
    dict(type='RNGStateHook'),
]
