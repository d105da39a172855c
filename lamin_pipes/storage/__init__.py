"""Object storage: content hashes, key validation, local and S3 stores, a cache, serializers.

This package sits below :mod:`lamin_pipes.models` and imports nothing from it.

Examples:
    >>> from lamin_pipes import storage
    >>> storage.validate_key("a/b.parquet")
    'a/b.parquet'
"""

from __future__ import annotations

from lamin_pipes.storage._cache import cache_dir, cache_path, cached
from lamin_pipes.storage._compare import hash_covers_content, same_content
from lamin_pipes.storage._concat import concat_objects
from lamin_pipes.storage._hashing import (
    CHUNK_SIZE,
    HASH_LENGTH,
    DirHash,
    FileHash,
    StreamingHasher,
    combine_hashes,
    hash_dir,
    hash_file,
)
from lamin_pipes.storage._keys import validate_key
from lamin_pipes.storage._local import LocalStore
from lamin_pipes.storage._open import open_anndata, open_dataset
from lamin_pipes.storage._s3 import S3Store
from lamin_pipes.storage._serializers import (
    Format,
    Serializer,
    load,
    load_path,
    loadable_suffixes,
    n_observations_of,
    otype_of,
    register_serializer,
    save,
    suffix_for,
    supported_otypes,
)
from lamin_pipes.storage._store import Store, open_store

__all__ = [
    "CHUNK_SIZE",
    "HASH_LENGTH",
    "DirHash",
    "FileHash",
    "Format",
    "LocalStore",
    "S3Store",
    "Serializer",
    "Store",
    "StreamingHasher",
    "cache_dir",
    "cache_path",
    "cached",
    "combine_hashes",
    "concat_objects",
    "hash_covers_content",
    "hash_dir",
    "hash_file",
    "load",
    "load_path",
    "loadable_suffixes",
    "n_observations_of",
    "open_anndata",
    "open_dataset",
    "open_store",
    "otype_of",
    "register_serializer",
    "same_content",
    "save",
    "suffix_for",
    "supported_otypes",
    "validate_key",
]
