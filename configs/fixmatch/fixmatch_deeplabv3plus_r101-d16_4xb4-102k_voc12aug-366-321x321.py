# FixMatch as UniMatch's release trains it (fixmatch.py, UniMatch's own
# baseline): the UniMatch config of the same split with one strong view (its
# CutMix with the mix batch kept), no feature perturbation and
# loss = (loss_x + loss_s) / 2; same data, schedule and 102,160 iterations.
_base_ = ('../unimatch/unimatch_deeplabv3plus_r101-d16_4xb4-102k_'
          'voc12aug-366-321x321.py')
model = dict(strong_weights=(0.5, ), fp_weight=0.0)
train_dataloader = dict(
    dataset=dict(
        unlabeled=dict(
            pipeline=[dict(type='LoadImageFromFile')] + _base_.geometry +
            _base_.one_strong_view)))
