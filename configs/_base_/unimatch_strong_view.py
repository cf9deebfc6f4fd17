# UniMatch / FixMatch: each strong view of the (already scaled, cropped and
# flipped) crop as the release makes it (torchvision semantics, see
# mmseg_pseudoseg/datasets/transforms/unimatch_augment.py): colour jitter
# with p=0.8, greyscale with p=0.2 (PIL's weights), Gaussian blur with
# p=0.5. Shared by the VOC data base and the toy configs.
unimatch_strong_transforms = [
    dict(
        type='RandomColorJitter',
        brightness=0.5,
        contrast=0.5,
        saturation=0.5,
        hue=0.25,
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),  # BGR: PIL's convert('L')
    dict(type='RandomGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
]
