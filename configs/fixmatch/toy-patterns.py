# FixMatch as UniMatch's release trains it, on the label-limited toy patterns
# set (an arm of `tools/benchmark.py arms`): configs/unimatch/toy-patterns.py
# with one strong view, no feature perturbation and loss = (loss_x +
# loss_s) / 2.
_base_ = '../unimatch/toy-patterns.py'
model = dict(strong_weights=(0.5, ), fp_weight=0.0)
toy_one_strong_view = _base_.toy_two_strong_views[:1] + [
    dict(type='RandomCutMixBox', crop_size=_base_.toy_crop_size,
         key='cutmix_box1'),
    dict(
        type='PackMultiViewSegInputs',
        views=dict(weak='img', strong1='img_strong1'),
        boxes=dict(strong1='cutmix_box1')),
]
train_dataloader = dict(
    dataset=dict(
        unlabeled=dict(
            pipeline=_base_.toy_unlabeled_weak + toy_one_strong_view)))
