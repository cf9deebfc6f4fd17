# Supervised baseline, VOC12 1/2 split: 732 labeled train images only.
# 40k iters x 16 images = 874 epochs of the labeled set.
_base_ = '../_base_/supervised_deeplabv3plus_r50-d8_voc12aug-512x512.py'
train_dataloader = dict(dataset=dict(ann_file='splits/1-2/labeled.txt'))
