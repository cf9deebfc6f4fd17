"""Small helpers shared by the hooks."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(runner) -> nn.Module:
    """The runner's model, unwrapped from DDP (or another model wrapper)."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model
