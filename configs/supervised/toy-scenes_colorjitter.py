# Control for the toy benchmark, not a method of the paper: the supervised
# baseline of configs/supervised/toy-scenes.py with the strong view's colour
# jitter (PseudoSeg's, spec Sec. 6) applied to the labeled images as well.
# It asks whether what PseudoSeg gains on the toy scenes comes from its
# unlabeled images or from colour invariance alone. CutOut is left out: the
# strong view's box is excluded from the loss, which a labeled image's
# label map would have to mark with 255; colour jitter is the part that
# changes what the model sees everywhere. Run it with
# `tools/benchmark.py curve --supervised-config`
# (docs/en/benchmarks/toy_scenes.md).
_base_ = ['./toy-scenes.py']
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ValidateSegMap', num_classes=_base_.toy_num_classes),
    ] + _base_.toy_weak_transforms + [
        _base_.toy_colour_jitter,
        dict(type='PackSegInputs'),
    ]))
