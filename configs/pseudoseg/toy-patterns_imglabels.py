# PseudoSeg "with image-level labels" on the label-limited toy patterns set,
# the paper's setting as configs/pseudoseg/voc_1-8_imglabels.py trains it on
# VOC: every unlabeled image comes with the classes left in its augmented
# crop (ImageLabelsFromSegMap), the classifier trains on those instead of the
# labeled batch, and Grad-CAM uses them in place of the classifier's own
# predictions. Extra annotation, so not one of the benchmark's default arms:
# `tools/benchmark.py arms --arms supervised imglabels` runs it.
_base_ = ['./toy-patterns.py']
model = dict(cls_on_unlabeled=True)
# configs/pseudoseg/toy-patterns.py's unlabeled pipeline, the image-level
# labels made just before packing.
train_dataloader = dict(
    dataset=dict(
        unlabeled=dict(
            pipeline=_base_.train_dataloader.dataset.unlabeled.pipeline[:-1] +
            [
                # The label map stays (keep_seg_map) for the pseudo-label
                # accuracy diagnostics only, as in the other arms; the
                # losses see the image-level labels alone.
                dict(
                    type='ImageLabelsFromSegMap',
                    num_classes=_base_.toy_num_classes,
                    keep_seg_map=True),
                dict(type='PackWeakStrongSegInputs')
            ])))
