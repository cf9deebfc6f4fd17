"""Pictures of the pseudo labels while PseudoSeg trains."""
from typing import Optional

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...visualization.pseudo_label_drawer import REQUIRED_API, draw_batch
from ...visualization.pseudo_label_panels import overview
from ..utils import unwrap_model


@HOOKS.register_module()
class PseudoLabelVisualizationHook(Hook):
    """Every ``interval`` iterations, draw the pseudo labels of the batch.

    Before the iteration runs (so with the weights its training step uses),
    the hook calls ``PseudoSeg.pseudo_label_maps`` on the batch's whole weak
    view, in the modes of training (decoder pass in train mode, classifier
    and SGC pass in inference mode), with BN running statistics and the RNG
    restored afterwards, and sends pictures of the first ``max_images``
    unlabeled images to ``runner.visualizer.add_image``: local files,
    TensorBoard or W&B, whatever the config's ``visualizer.vis_backends``
    say. Each image gives ``pseudo_label_<id>`` (step = iteration), the
    panels side by side with titles:

    weak view | decoder prediction | Grad-CAM (image labels in the title) |
    SGC prediction | fused pseudo label (white: pixels the loss skips) |
    its confidence (black 0, white 1) | strong view with the CutOut box |
    ground truth (if the unlabeled pipeline loads labels).

    With ``save_panels`` each panel also goes out on its own as
    ``pseudo_label_<id>_<panel>``, at the weak view's size. Dropout masks
    differ from the training step's, so the pictures show the same model on
    the same batch, not bit for bit the step's targets.

    Computed on every process (SyncBN needs all of them); only the main
    process writes.

    Args:
        interval (int): Draw every ``interval`` training iterations.
            Defaults to 50.
        max_images (int): Unlabeled images per drawing. Defaults to 2.
        save_panels (bool): Also send each panel as its own image.
            Defaults to False.
    """
    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 max_images: int = 2,
                 save_panels: bool = False) -> None:
        if interval < 1:
            raise ValueError('PseudoLabelVisualizationHook.interval must be '
                             f'>= 1, got {interval}')
        if max_images < 1:
            raise ValueError('PseudoLabelVisualizationHook.max_images must '
                             f'be >= 1, got {max_images}')
        self.interval = interval
        self.max_images = max_images
        self.save_panels = save_panels

    def before_train(self, runner) -> None:
        model = unwrap_model(runner)
        for name in REQUIRED_API:
            if getattr(model, name, None) is None:
                raise TypeError(
                    f'PseudoLabelVisualizationHook needs model.{name}; '
                    f'{type(model).__name__} has none (use PseudoSeg)')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if data_batch is None or \
                not self.every_n_train_iters(runner, self.interval):
            return
        meta = runner.visualizer.dataset_meta or {}
        palette, classes = meta.get('palette'), meta.get('classes')
        if palette is None:
            raise ValueError('PseudoLabelVisualizationHook needs a palette: '
                             'the training dataset has no metainfo palette')
        step = runner.iter + 1
        drawn = draw_batch(unwrap_model(runner), data_batch, True,
                           self.max_images, palette, classes)
        for stem, panels, titles in drawn:
            runner.visualizer.add_image(f'pseudo_label_{stem}',
                                        overview(panels, titles), step)
            if self.save_panels:
                for name, panel in panels.items():
                    runner.visualizer.add_image(
                        f'pseudo_label_{stem}_{name}', panel, step)
