"""Data: the pool, splits, the Dataset container and loaders.

Every loader returns :class:`Dataset` objects; :func:`split` (the one split
protocol) divides them into pool, validation and test items. Optional
dependencies (pandas, pillow) are imported only when a loader needs them.
"""

from activelearn.data.cifar import load_cifar10
from activelearn.data.dataset import Dataset, unlabeled_pool
from activelearn.data.fashion_mnist import load_fashion_mnist
from activelearn.data.images import LazyImages, load_image_files, load_image_folder
from activelearn.data.imdb import load_imdb
from activelearn.data.pool import Pool
from activelearn.data.protocol import Splits, split
from activelearn.data.splits import select_seed, stratified_split
from activelearn.data.tabular import load_table

__all__ = [
    "Dataset",
    "LazyImages",
    "Pool",
    "Splits",
    "load_cifar10",
    "load_fashion_mnist",
    "load_image_files",
    "load_image_folder",
    "load_imdb",
    "load_table",
    "select_seed",
    "stratified_split",
    "split",
    "unlabeled_pool",
]
