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
# Same geometry as the PseudoSeg primitive: random scale in
# {0.5, 0.75, ..., 2.0}, crop (padded in the data preprocessor), flip.
scale_factors = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
load_labels = [
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=num_classes),
]
labeled_pipeline = [dict(type='LoadImageFromFile')] + load_labels + [
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                    for s in scale_factors]),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Single-scale evaluation at the original image size, no flip.
test_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    [dict(type='PackSegInputs')]
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
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=4000, max_keep_ckpts=2))
