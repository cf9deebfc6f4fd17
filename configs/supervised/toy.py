# Supervised baseline on the built-in toy shapes set, 1/8 split (16 labeled
# images), same tiny DeepLabV3+ and schedule as configs/pseudoseg/toy.py.
# 1500 iters x 4 images = 375 epochs of the labeled set.
_base_ = [
    '../_base_/supervised_deeplabv3plus_r50-d8_voc12aug-512x512.py',
    '../_base_/toy_shapes.py',
]
model = _base_.toy_segmentor
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    dataset=_base_.toy_labeled_dataset)
val_dataloader = _base_.toy_test_dataloader
test_dataloader = _base_.toy_test_dataloader
train_cfg = _base_.toy_schedule.train_cfg
param_scheduler = _base_.toy_schedule.param_scheduler
default_hooks = _base_.toy_schedule.default_hooks
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
