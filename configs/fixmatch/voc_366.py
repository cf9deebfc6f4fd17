# Short name of the config below (same settings, same results).
_base_ = './fixmatch_deeplabv3plus_r101-d16_4xb4-102k_voc12aug-366-321x321.py'
