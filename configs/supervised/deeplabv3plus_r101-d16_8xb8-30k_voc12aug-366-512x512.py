# Supervised baseline, Pascal VOC 2012 + SBD, 1/4 of the 1,464 high-quality
# labels: the 366 labeled images only (voc12/366), same model, batch and
# schedule as PseudoSeg. 30k iters x 64 images = 5,246 epochs of the labeled
# set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_labeled.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_30k.py'
]
train_dataloader = dict(
    dataset=dict(
        ann_file=_base_.data_splits + '/voc12/366/labeled.txt'))
