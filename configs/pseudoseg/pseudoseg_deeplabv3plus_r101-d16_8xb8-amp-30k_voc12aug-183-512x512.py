# Mixed precision (fp16 autocast, dynamic loss scaling) for the 1/8 split.
# Fusion, SGC attention and the consistency loss run in float32 inside.
_base_ = './pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_voc12aug-183-512x512.py'
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
