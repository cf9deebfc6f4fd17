# The release's Pascal schedule (configs/pascal.yaml, unimatch.py): SGD
# momentum 0.9, weight decay 1e-4, lr 0.001 for the backbone and 10x for the
# rest (the decode head), poly decay (power 0.9) per iteration to 0. The lr
# is for 4 GPUs x 2 labeled images; auto_scale_lr rescales it linearly when
# enabled (the author's rule: batch 8/K -> lr 0.001/K). Leaves set the
# number of iterations (80 epochs of their unlabeled list) in train_cfg and
# param_scheduler.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=80000,
        by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=4000,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
