# Supervised baseline primitive: the same DeepLabV3+ R50-D8, crops, batch and
# schedule as the PseudoSeg primitive, trained on the labeled split only.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)

num_classes = 21
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=dict(num_classes=num_classes))

data_root = 'data/VOCdevkit/VOC2012'
labeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# 2 labeled images per GPU x 8 GPUs = 16 per step, as in PseudoSeg.
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='PascalVOCDataset',
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='splits/1-8/labeled.txt',
        pipeline=labeled_pipeline))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=4000, max_keep_ckpts=2))
