# Benchmark-run settings shared by configs/pseudoseg/toy-scenes.py and
# configs/supervised/toy-scenes.py: the synthetic scenes set (objects whose
# class is their surface pattern, stripes or dots, in random colours, among
# plain clutter, unevenly lit; written by tools/benchmark.py curve, or by
# `python tools/make_toy_dataset.py data/toy_scenes --scenes`). Model,
# augmentation, schedule and hooks are the toy demo's (toy_shapes.py); what
# differs is set here. tools/benchmark.py curve switches the split files per
# seed (splits/seed{s}/1-{n}) and the schedule.
_base_ = ['./toy_shapes.py']
toy_data_root = 'data/toy_scenes'
toy_num_classes = 3
toy_split = 'splits/1-8'  # 64 of 512 train images labeled
# The base's values were computed with its own class count and data root:
# everything that holds them is set again.
toy_segmentor = dict(
    decode_head=dict(num_classes=toy_num_classes),
    auxiliary_head=dict(num_classes=toy_num_classes))
toy_labeled_dataset = dict(
    type='ToyScenesDataset',
    data_root=toy_data_root,
    ann_file=toy_split + '/labeled.txt',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ValidateSegMap', num_classes=toy_num_classes),
    ] + _base_.toy_weak_transforms + [dict(type='PackSegInputs')])
# 256 validation images of one size (64x80), so batches of 8 need no
# padding; evaluation at the original size.
toy_test_dataloader = dict(
    batch_size=8,
    dataset=dict(
        type='ToyScenesDataset',
        data_root=toy_data_root,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='ValidateSegMap', num_classes=toy_num_classes),
            dict(type='PackSegInputs'),
        ]))
val_dataloader = toy_test_dataloader
test_dataloader = toy_test_dataloader
# lr 0.05, not the toy shapes' 0.01: at 0.01 the randomly initialised model
# had not told the patterns apart after 1,500 iterations (val mIoU 20 with
# 256 labeled images, all patterns predicted as one class).
optim_wrapper = dict(optimizer=dict(lr=0.05))
