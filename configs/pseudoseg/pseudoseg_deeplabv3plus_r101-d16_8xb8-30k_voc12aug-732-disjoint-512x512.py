# PseudoSeg with 732 labels and an unlabeled stream disjoint from them: the
# split's unlabeled.txt (train_aug minus the 732 labeled ids), as later papers
# (CPS, U2PL, UniMatch) train. An option, not the release's stream (all of
# train_aug, the config without -disjoint); everything else is that config.
_base_ = './pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_voc12aug-732-512x512.py'
train_dataloader = dict(
    dataset=dict(unlabeled=dict(ann_file=_base_.split + '/unlabeled.txt')))
