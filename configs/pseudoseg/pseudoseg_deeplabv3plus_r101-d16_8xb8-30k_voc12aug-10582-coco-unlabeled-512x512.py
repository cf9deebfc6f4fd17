# PseudoSeg's high-data setting ("improving a fully supervised model with
# extra data"): all 10,582 VOC train_aug images labeled (the 1,464 with
# VOC's own labels, the other 9,118 with SBD's), COCO train2017 images as
# extra unlabeled data for the 21-class model (data/coco/splits/
# train2017.txt, written by the COCO converter; only the images are read).
# 30k iters x 64 labeled images = 181 epochs of the labeled set.
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_semi.py',
    '../_base_/pseudoseg_runtime.py', '../_base_/schedules/schedule_30k.py'
]
split = _base_.data_splits + '/voc12/1464'
train_dataloader = dict(
    dataset=dict(
        labeled=dict(
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
            ]),
        unlabeled=dict(
            data_root='data/coco',
            data_prefix=dict(img_path=''),
            ann_file='splits/train2017.txt')))
