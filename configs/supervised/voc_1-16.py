# Supervised baseline, VOC12 1/16 split: 92 labeled train images only.
# 40k iters x 16 images = 6957 epochs of the labeled set.
_base_ = '../_base_/supervised_deeplabv3plus_r50-d8_voc12aug-512x512.py'
train_dataloader = dict(dataset=dict(ann_file='splits/1-16/labeled.txt'))
