# For GPUs that hold 4 + 4 images: 8 GPUs x (4 labeled + 4 unlabeled), half
# the release's 64 + 64 per step, with the lr scaled linearly (0.007 x 32 /
# 64). On 16 GPUs, the 8xb8 config with train_dataloader.batch_size=4 is the
# release's own 16 x (4 + 4) at lr 0.007.
_base_ = './pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_voc12aug-183-512x512.py'
train_dataloader = dict(batch_size=4)
optim_wrapper = dict(optimizer=dict(lr=0.0035))
