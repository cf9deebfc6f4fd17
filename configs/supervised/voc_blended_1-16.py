# Short name of the config below (same settings, same results).
_base_ = './deeplabv3plus_r101-d16_8xb8-30k_voc12aug-blended-1-16-512x512.py'
