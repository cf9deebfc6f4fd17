from .multi_branch_data_preprocessor import MultiBranchSegDataPreProcessor

__all__ = ['MultiBranchSegDataPreProcessor']
