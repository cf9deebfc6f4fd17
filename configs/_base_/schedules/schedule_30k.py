# The release's VOC schedule: SGD momentum 0.9, lr 0.007 with poly decay
# (power 0.9) to 0 over 30k iterations, weight decay 1e-4 (the release's
# value for ResNet backbones; 4e-5 for Xception). The lr is for 64 labeled
# (+ 64 unlabeled) images per step; auto_scale_lr rescales it linearly
# when enabled (--cfg-options auto_scale_lr.enable=True).
optimizer = dict(type='SGD', lr=0.007, momentum=0.9, weight_decay=1e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
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
