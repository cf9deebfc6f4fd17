"""COCO 2017 with 81 classes: background + the 80 thing classes."""
from typing import List

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

# The 80 thing classes in ascending COCO category id (1, 2, ..., 90 with
# gaps), i.e. label 1..80 of the PNGs that
# tools/dataset_converters/coco_instances_to_semantic.py writes.
COCO_THINGS = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
    'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard',
    'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
    'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop',
    'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
    'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush')


def bit_palette(n: int) -> List[List[int]]:
    """The Pascal VOC colour map: the bits of the label spread over R, G, B.

    Distinct colours for every label; label 0 is black and labels 1..20 get
    the VOC colours.
    """
    palette = []
    for label in range(n):
        rgb = [0, 0, 0]
        for bit in range(8):
            shift = 7 - bit  # label bit 3*b+c -> bit 7-b of channel c
            for channel in range(3):
                rgb[channel] |= ((label >> (3 * bit + channel)) & 1) << shift
        palette.append(rgb)
    return palette


@DATASETS.register_module()
class COCO81Dataset(BaseSegDataset):
    """COCO 2017 semantic segmentation with 81 classes, as in PseudoSeg.

    `PseudoSeg <https://arxiv.org/abs/2010.09713>`_ (paper setting 3):
    background (label 0) + the 80 COCO thing classes (labels 1..80, in
    ascending category id), labels made from the instance masks by
    ``tools/dataset_converters/coco_instances_to_semantic.py`` (255:
    ignore, see that tool for crowd regions and overlaps). Images are
    ``.jpg``, labels ``.png``; ``reduce_zero_label`` stays False because
    0 is a real class (background).

    Folder layout (``data_root='data/coco'``)::

        data/coco/
        ├── train2017/000000177254.jpg ...      (118,287 images)
        ├── val2017/000000000139.jpg ...        (5,000 images)
        ├── annotations/instances_{train2017,val2017}.json
        ├── semantic81/{train2017,val2017}/*.png   (written by the tool)
        └── splits/                                (written by the tool)
            ├── train2017.txt, val2017.txt
            └── {512,256,128,64,32}_all/unlabeled.txt

    An id such as ``train2017/000000177254`` (the shipped
    ``data_splits/coco/*_all.txt`` and the tool's lists) names both files
    with ``data_prefix=dict(img_path='', seg_map_path='semantic81')``:
    ``data/coco/train2017/000000177254.jpg`` and
    ``data/coco/semantic81/train2017/000000177254.png``. Leave
    ``seg_map_path`` out for an unlabeled set.
    """
    METAINFO = dict(
        classes=('background', ) + COCO_THINGS,
        palette=bit_palette(81))

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)
