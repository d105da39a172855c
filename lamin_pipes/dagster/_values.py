"""Asset values as artifacts and back: what the IO manager stores and how it reads it.

DataFrames, AnnData objects, numpy arrays and dicts use the artifact serializers
(``.parquet``, ``.h5ad`` or ``.zarr``, ``.npy``, ``.json``); a ``str`` or ``Path`` to a
file or folder is registered as it is (and loads back as a local ``Path``); a PyTorch
``state_dict`` (a mapping of tensors) or ``nn.Module`` is written with ``torch.save`` to
``.pt`` (loaded with ``weights_only=True`` where the content allows it). torch is only
imported when it is already loaded by the caller's code.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument
from ..models import Artifact
from ..storage._serializers import suffix_for

TORCH_SUFFIX = ".pt"


def _torch_kind(value: Any) -> str | None:
    """``"module"``, ``"state_dict"`` or ``None`` (without importing torch)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    if isinstance(value, torch.nn.Module):
        return "module"
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(v, torch.Tensor) for v in value.values())
    ):
        return "state_dict"
    return None


def suffix_of(value: Any, fmt: str | None) -> str:
    """The suffix ``value`` is stored with (``fmt``: a ``lamin/format`` such as ``"zarr"``)."""
    if isinstance(value, Artifact):
        return value.suffix or ""
    if _torch_kind(value) is not None:
        return TORCH_SUFFIX
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        if not path.exists():
            msg = f"The asset returned the path {str(path)!r}, which does not exist"
            raise InvalidArgument(msg)
        return "".join(path.suffixes[-1:]) if path.is_file() or path.suffix == ".zarr" else ""
    return suffix_for(value, fmt)


def build_artifact(value: Any, *, key: str, fmt: str | None, **kwargs: Any) -> Artifact:
    """An unsaved artifact of ``value`` under ``key``, hashed, not looked up by hash.

    Registry-wide de-duplication is not what an asset wants (another asset's identical
    output is not this asset's version); the caller compares with the latest version of
    the same key instead.
    """
    torch_kind = _torch_kind(value)
    if torch_kind is not None:
        import torch

        handle, name = tempfile.mkstemp(suffix=TORCH_SUFFIX, prefix="lamin-pipes-")
        os.close(handle)
        # Through a file object: torch names the archive's folder after a path's stem, so
        # a temporary path would make identical weights hash differently.
        with open(name, "wb") as stream:
            torch.save(value, stream)
        kwargs.setdefault("kind", "model")
        return Artifact(Path(name), key=key, skip_hash_lookup=True, _consume=True, **kwargs)
    if isinstance(value, str | os.PathLike):
        return Artifact(Path(value), key=key, skip_hash_lookup=True, **kwargs)
    return Artifact(value, key=key, skip_hash_lookup=True, format=fmt, **kwargs)


def load_value(artifact: Artifact) -> Any:
    """The object stored in ``artifact``, recorded as an input of the current run."""
    if artifact.suffix == TORCH_SUFFIX:
        import pickle

        import torch

        path = artifact.cache()
        try:
            return torch.load(path, weights_only=True)
        except pickle.UnpicklingError:  # a whole module: only from this registry's own runs
            return torch.load(path, weights_only=False)
    if artifact.otype is None:  # registered from a path: hand back a local path
        return artifact.cache()
    return artifact.load()


_VALUE_ATTR = "_lp_dagster_value"


def remember_value(artifact: Artifact, value: Any) -> None:
    """Keep the in-memory object an artifact was built from, for the output metadata."""
    artifact.__dict__[_VALUE_ATTR] = value


def observations(value: Any) -> int | None:
    """Rows of a DataFrame, observations of an AnnData, the first axis of an array."""
    if isinstance(value, Artifact):
        if _VALUE_ATTR in value.__dict__:
            return observations(value.__dict__[_VALUE_ATTR])
        return value.n_observations
    shape = getattr(value, "shape", None)
    if (
        isinstance(shape, tuple)
        and shape
        and type(value).__name__
        in (
            "DataFrame",
            "AnnData",
            "ndarray",
        )
    ):
        return int(shape[0])
    return None


def columns(value: Any) -> list[tuple[str, str]] | None:
    """``(name, dtype)`` of a DataFrame's columns or an AnnData's ``obs`` columns."""
    if isinstance(value, Artifact):
        value = value.__dict__.get(_VALUE_ATTR)
    frame = value.obs if type(value).__name__ == "AnnData" else value
    if type(frame).__name__ != "DataFrame" or not hasattr(frame, "dtypes"):
        return None
    return [(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]


__all__ = [
    "TORCH_SUFFIX",
    "build_artifact",
    "columns",
    "load_value",
    "observations",
    "remember_value",
    "suffix_of",
]
