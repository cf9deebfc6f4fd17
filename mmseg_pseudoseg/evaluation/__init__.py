"""Benchmark arithmetic: calibration, IoU and paired intervals (torch and
numpy only, no registry)."""
from .calibration import (bin_index, calibration_bins, confusion_matrix,
                          ece_from_bins, expected_calibration_error,
                          scores_from_confusion)
from .paired_stats import (mean_std, paired_interval, student_t_cdf,
                           student_t_quantile)

__all__ = [
    'bin_index', 'calibration_bins', 'confusion_matrix', 'ece_from_bins',
    'expected_calibration_error', 'scores_from_confusion', 'mean_std',
    'paired_interval', 'student_t_cdf', 'student_t_quantile'
]
