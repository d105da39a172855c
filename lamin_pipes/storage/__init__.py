"""Object storage: content hashes, key validation, a local store and serializers.

This package sits below :mod:`lamin_pipes.models` and imports nothing from it.

Examples:
    >>> from lamin_pipes import storage
    >>> storage.validate_key("a/b.parquet")
    'a/b.parquet'
"""

from __future__ import annotations

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
from lamin_pipes.storage._serializers import (
    Serializer,
    load,
    otype_of,
    register_serializer,
    save,
    suffix_for,
    supported_otypes,
)

__all__ = [
    "CHUNK_SIZE",
    "HASH_LENGTH",
    "DirHash",
    "FileHash",
    "LocalStore",
    "Serializer",
    "StreamingHasher",
    "combine_hashes",
    "hash_dir",
    "hash_file",
    "load",
    "otype_of",
    "register_serializer",
    "save",
    "suffix_for",
    "supported_otypes",
    "validate_key",
]
