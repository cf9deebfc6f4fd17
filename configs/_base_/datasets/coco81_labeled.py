# The supervised baselines' COCO data: the labeled stream alone.
_base_ = './coco81_semi.py'
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.labeled_dataset))
