# Short name of the config below (same settings, same results).
_base_ = './fixmatch_deeplabv3plus_r101-d16_4xb4-98k_voc12aug-732-321x321.py'
