# Short name of the config below (same settings, same results).
_base_ = ('./pseudoseg_deeplabv3plus_r101-d16_8xb8-200k_coco81-512_'
          'all-512x512.py')
