"""Whether two stored objects hold the same bytes.

lamindb's hash of a file above ``2 * CHUNK_SIZE`` (100 MiB) covers only its first and
last ``CHUNK_SIZE`` bytes and not even its size, so two such files can share a hash
and differ in the middle. Before such a hash is trusted to say "this content is
already stored", :func:`same_content` compares the bytes.

Examples:
    >>> import tempfile
    >>> from lamin_pipes.storage import LocalStore
    >>> store = LocalStore(tempfile.mkdtemp())
    >>> _ = store.put_bytes(b"abc", "a.bin"); _ = store.put_bytes(b"abd", "b.bin")
    >>> same_content(store, "a.bin", store, "a.bin"), same_content(store, "a.bin", store, "b.bin")
    (True, False)
    >>> hash_covers_content(store.put_bytes(b"abc", "c.bin"))
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lamin_pipes.storage._hashing import CHUNK_SIZE

if TYPE_CHECKING:
    from lamin_pipes.storage._store import Store

__all__ = ["hash_covers_content", "same_content"]

#: Bytes read from each side per comparison step.
_BLOCK = 8 * 1024 * 1024


def hash_covers_content(digest: Any) -> bool:
    """Whether a :class:`FileHash` or :class:`DirHash` was computed from every byte.

    True for files up to ``2 * CHUNK_SIZE`` bytes, where the first and last chunks
    cover the whole file. A folder is taken as covered only when all its files
    together are that small (then none of them can be larger).
    """
    return int(digest.size) <= 2 * CHUNK_SIZE


def same_content(a: Store, a_key: str, b: Store, b_key: str, *, is_dir: bool = False) -> bool:
    """Whether ``a_key`` in ``a`` and ``b_key`` in ``b`` hold exactly the same bytes.

    Files are compared by size, then block by block (the first difference ends the
    comparison); folders by their relative file names and sizes, then file by file.
    A missing object differs from everything.
    """
    if is_dir:
        files = _files(a, a_key)
        if not files or files != _files(b, b_key):
            return False
        return all(_same_file(a, f"{a_key}/{name}", b, f"{b_key}/{name}") for name in files)
    try:
        if a.size(a_key) != b.size(b_key):
            return False
    except FileNotFoundError:
        return False
    return _same_file(a, a_key, b, b_key)


def _same_file(a: Store, a_key: str, b: Store, b_key: str) -> bool:
    try:
        with a.open(a_key) as left, b.open(b_key) as right:
            while True:
                block = left.read(_BLOCK)
                if block != right.read(len(block) or 1):
                    return False
                if not block:
                    return True
    except FileNotFoundError:
        return False


def _files(store: Store, key: str) -> dict[str, int]:
    """Relative names and sizes of the files below the folder ``key`` (``{}``: none)."""
    local = store.local_path(key)
    if local is not None:
        if not local.is_dir():
            return {}
        return {
            path.relative_to(local).as_posix(): path.stat().st_size
            for path in local.rglob("*")
            if path.is_file()
        }
    root = store.fs_path(key).rstrip("/")
    try:
        found = store.filesystem().find(root, detail=True)
    except FileNotFoundError:
        return {}
    return {
        name[len(root) + 1 :]: int(info["size"])
        for name, info in found.items()
        if info.get("type") == "file"
    }
