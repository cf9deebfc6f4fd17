# mmseg's runtime plus this package's registration and a fixed seed (the
# release trains with seed 0; pass --cfg-options randomness.seed=N for
# other seeds).
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)
randomness = dict(seed=0)
