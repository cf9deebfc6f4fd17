# PseudoSeg on your own data: a 3-class set in Pascal VOC layout under
# data_root: JPEGImages/<id>.jpg, SegmentationClass/<id>.png (values 0..2,
# 255 = ignore), ImageSets/Segmentation/val.txt and the labeled/unlabeled
# id lists (tools/make_custom_splits.py writes them). Set each value ONCE
# below: custom_data() writes it into every dataset, pipeline and head of
# the primitive (a redefined variable alone would not reach them: mmengine
# resolves the base's variables when the base loads).
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_semi.py',
    '../_base_/pseudoseg_runtime.py', '../_base_/schedules/schedule_30k.py'
]
from mmseg_pseudoseg.utils.custom_data import custom_data  # noqa: E402

data_root = 'data/my_dataset'
classes = ('background', 'building', 'road')
palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]
crop_size = (256, 256)
num_classes = len(classes)
_data = custom_data(_base_, data_root, classes, palette, crop_size,
                    labeled_split='splits/1-8/labeled.txt',
                    unlabeled_split='splits/1-8/unlabeled.txt',
                    val_split='ImageSets/Segmentation/val.txt')
model = _data.model
train_dataloader = _data.train_dataloader
val_dataloader = _data.val_dataloader
test_dataloader = _data.test_dataloader
custom_hooks = _data.custom_hooks  # adds ConfigCheckHook
del _data
