# The release's VOC schedule: SGD momentum 0.9, lr 0.007 with poly decay
# (power 0.9) to 0 over 30k iterations, weight decay 1e-4 (the release's
# value for ResNet backbones; 4e-5 for Xception). The lr is for 64 labeled
# (+ 64 unlabeled) images per step; auto_scale_lr rescales it linearly
# when enabled (--cfg-options auto_scale_lr.enable=True).
optimizer = dict(type='SGD', lr=0.007, momentum=0.9, weight_decay=1e-4)
# As the release (train_wss.py and DeepLab's train_utils, spec Sec. 10):
# weight decay on convolution (and linear) weights only: not on norm
# layers, biases, depthwise convolutions (DeepLab regularises only the
# pointwise half of its separable convolutions) nor the SGC head's
# query/key/output convolutions; biases train at 2x the lr.
release_paramwise_cfg = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    bias_lr_mult=2.0,
    dwconv_decay_mult=0.0,
    custom_keys={
        'sgc_head.query.weight': dict(decay_mult=0.0),
        'sgc_head.key.weight': dict(decay_mult=0.0),
        'sgc_head.conv_seg.weight': dict(decay_mult=0.0),
    })
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    paramwise_cfg=release_paramwise_cfg,
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=30000,
        by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=64)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30000, val_interval=3000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=3000,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
