# The release's COCO schedule: as the VOC one (SGD, lr 0.007 poly to 0,
# weight decay 1e-4 for ResNet) over 200k iterations.
_base_ = './schedule_30k.py'
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=200000,
        by_epoch=False)
]
train_cfg = dict(max_iters=200000, val_interval=20000)
default_hooks = dict(checkpoint=dict(interval=20000))
