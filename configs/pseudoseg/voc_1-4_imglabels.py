# Short name of the config below (same settings, same results).
_base_ = ('./pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_'
          'voc12aug-366-imglabels-512x512.py')
