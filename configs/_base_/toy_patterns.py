# Label-limited benchmark settings shared by configs/pseudoseg/toy-patterns.py
# and configs/supervised/toy-patterns.py: the toy patterns set (eight pattern
# classes, 1-3 per image, VOC-like image labels; written by
# `python tools/benchmark.py regime` when missing) and the toy backbone
# pre-trained on other procedural patterns, loaded as the VOC configs load
# ImageNet weights. The rest is the toy scenes' (toy_scenes.py): model,
# augmentation, hooks.
_base_ = ['./toy_scenes.py']
toy_data_root = 'data/toy_patterns'
toy_num_classes = 9  # background + 8 patterns
toy_split = 'splits/1-8'  # 64 of 512 train images labeled
# The pre-trained backbone; make it with
# `python tools/benchmark.py pretrain --out <this path>`
# (docs/en/benchmarks/toy_patterns.md).
# PretrainedCheckHook stops a run before any work if the file is missing or
# its keys do not match the backbone's (mmengine's Pretrained init would
# load a partial match with a warning).
toy_backbone_checkpoint = 'checkpoints/toy_patterns_backbone.pth'
toy_pretrained_check_hook = dict(
    type='PretrainedCheckHook',
    hint='python tools/benchmark.py pretrain --out ' +
    toy_backbone_checkpoint)
# The base's values were computed with its own class count and data root:
# everything that holds them is set again.
toy_segmentor = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained',
                      checkpoint=toy_backbone_checkpoint)),
    decode_head=dict(num_classes=toy_num_classes),
    auxiliary_head=dict(num_classes=toy_num_classes))
toy_labeled_dataset = dict(
    type='ToyPatternsDataset',
    data_root=toy_data_root,
    ann_file=toy_split + '/labeled.txt',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ValidateSegMap', num_classes=toy_num_classes),
    ] + _base_.toy_weak_transforms + [dict(type='PackSegInputs')])
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=toy_num_classes),
    dict(type='PackSegInputs'),
]
toy_test_dataloader = dict(
    dataset=dict(
        type='ToyPatternsDataset',
        data_root=toy_data_root,
        pipeline=test_pipeline))
val_dataloader = toy_test_dataloader
test_dataloader = toy_test_dataloader
# Schedule, chosen on the supervised arm alone (docs/en/benchmarks/
# toy_patterns.md): 4,000 iterations, lr 0.1 on the heads and 0.01 on the
# pre-trained backbone (10x on the head, as UniMatch's release trains VOC).
# Fine-tuning the backbone at the heads' lr lost what pre-training gave: at
# 1/2 labeled it scored as random init did.
toy_max_iters = 4000
optim_wrapper = dict(
    optimizer=dict(lr=0.1),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.1))))
train_cfg = dict(max_iters=toy_max_iters, val_interval=toy_max_iters)
param_scheduler = [dict(_base_.param_scheduler[0], end=toy_max_iters)]
default_hooks = dict(checkpoint=dict(interval=toy_max_iters))
