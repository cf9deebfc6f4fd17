# Supervised baseline of the high-data setting: all 10,582 VOC train_aug
# images labeled (the 1,464 with VOC's own labels, the other 9,118 with
# SBD's), same model, batch and schedule as PseudoSeg.
# 30k iters x 64 images = 181 epochs of the labeled set.
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_labeled.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_30k.py'
]
split = _base_.data_splits + '/voc12/1464'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(_base_.labeled_dataset, ann_file=split + '/labeled.txt'),
            dict(
                _base_.labeled_dataset,
                data_prefix=dict(
                    img_path='JPEGImages',
                    seg_map_path='SegmentationClassAug'),
                ann_file=split + '/unlabeled.txt'),
        ]))
