from .plain_mmseg import (custom_types, plain_mmseg_checkpoint,
                          plain_mmseg_config)

__all__ = ['custom_types', 'plain_mmseg_checkpoint', 'plain_mmseg_config']
