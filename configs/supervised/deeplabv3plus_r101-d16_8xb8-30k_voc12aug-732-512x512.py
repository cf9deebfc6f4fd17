# Supervised baseline, Pascal VOC 2012 + SBD, 1/2 of the 1,464 high-quality
# labels: the 732 labeled images only (voc12/732), same model, batch and
# schedule as PseudoSeg. 30k iters x 64 images = 2,623 epochs of the labeled
# set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_labeled.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_30k.py'
]
train_dataloader = dict(
    dataset=dict(
        ann_file=_base_.data_splits + '/voc12/732/labeled.txt'))
