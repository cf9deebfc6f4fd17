# Supervised baseline on the benchmark scenes set, 1/8 split (64 of 512
# train images labeled), same tiny DeepLabV3+ and schedule as
# configs/pseudoseg/toy-scenes.py.
# 2000 iters x 4 images = 125 epochs of the labeled set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/default_runtime.py',
    '../_base_/toy_scenes.py',
]
model = _base_.toy_segmentor
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.toy_labeled_dataset)
env_cfg = dict(cudnn_benchmark=False)
