# Supervised baseline on the label-limited toy patterns set, 1/8 split (64
# of 512 train images labeled), tiny DeepLabV3+ with the pre-trained toy
# backbone, same schedule as configs/pseudoseg/toy-patterns.py.
# 4000 iters x 4 images = 250 epochs of the labeled set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/default_runtime.py',
    '../_base_/toy_patterns.py',
]
model = _base_.toy_segmentor
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.toy_labeled_dataset)
custom_hooks = _base_.custom_hooks + [_base_.toy_pretrained_check_hook]
env_cfg = dict(cudnn_benchmark=False)
