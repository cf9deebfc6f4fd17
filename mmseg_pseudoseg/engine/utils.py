"""Small helpers shared by the hooks and the tools."""
import glob
import json
from typing import Dict, Sequence

import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(runner) -> nn.Module:
    """The runner's model, unwrapped from DDP (or another model wrapper)."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model


# Logged keys that vary from run to run even when training is identical.
TIMING_KEYS = ('time', 'data_time', 'eta', 'memory')


def logged_train_scalars(work_dir: str,
                         skip: Sequence[str] = TIMING_KEYS,
                         runs: str = '*') -> Dict[int, dict]:
    """Every training scalar a runner logged under ``work_dir``
    (``{runs}/vis_data/scalars.json``; ``runs`` a glob of the runs'
    timestamp folders, or one of them), by iteration, without the keys in
    ``skip``. Runs are read in time order, so a later run (a resume)
    overrides what an earlier one logged for the same iteration."""
    rows: Dict[int, dict] = {}
    for path in sorted(glob.glob(f'{work_dir}/{runs}/vis_data/scalars.json')):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'loss' in row:
                    rows[row['iter']] = {
                        k: v
                        for k, v in row.items() if k not in skip
                    }
    return rows
