# Supervised baseline, COCO 2017 (81 classes): the 925 labeled images of
# data_splits/coco/128_all.txt only, same model, batch and schedule as
# PseudoSeg. 200k iters x 64 images = 13,838 epochs of the labeled set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/datasets/coco81_labeled.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_200k.py'
]
model = dict(
    decode_head=dict(num_classes=81), auxiliary_head=dict(num_classes=81))
train_dataloader = dict(
    dataset=dict(ann_file=_base_.data_splits + '/coco/128_all.txt'))
