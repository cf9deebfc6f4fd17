# Supervised baseline, Pascal VOC 2012 + SBD, 1/8 of train_aug (blended
# protocol, CPS draw): the 1,323 labeled images only (voc12/1_8), same model,
# batch and schedule as PseudoSeg. 30k iters x 64 images = 1,451 epochs of the
# labeled set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_labeled.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_30k.py'
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        ann_file=_base_.data_splits + '/voc12/1_8/labeled.txt'))
