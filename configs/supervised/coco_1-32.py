# Short name of the config below (same settings, same results).
_base_ = './deeplabv3plus_r101-d16_8xb8-200k_coco81-32_all-512x512.py'
