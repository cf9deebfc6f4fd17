"""Removed: Pascal VOC uses the shipped standard split lists.

The lists of the paper's protocols ship in ``mmseg_pseudoseg/data_splits/``
(see its README); seeded splits of a custom data set are drawn by
``tools/make_custom_splits.py``. This stub only says so, for old commands.
"""
import sys

if __name__ == '__main__':
    sys.exit('tools/make_voc_splits.py was removed: Pascal VOC and COCO use '
             'the standard split lists shipped in mmseg_pseudoseg/'
             'data_splits/ (see its README); for a custom data set use '
             'tools/make_custom_splits.py')
