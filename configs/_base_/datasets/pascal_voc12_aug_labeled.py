# The supervised baselines' data: the labeled stream of the semi-supervised
# VOC base alone (same pipeline, batch, evaluation). Leaves set the split.
_base_ = './pascal_voc12_aug_semi.py'
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.labeled_dataset))
