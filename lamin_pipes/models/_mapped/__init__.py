"""``mapped()``: a PyTorch map-style dataset over many AnnData artifacts.

``ln.Artifact.filter(...).mapped(...)`` and ``collection.mapped(...)`` call
:func:`mapped_artifacts`, which finds the artifacts' content (cached locally, or read
in place with ``stream=True``) and builds a
:class:`~lamin_pipes.models._mapped._collection.MappedCollection`.

The dataset class imports torch, so this package is imported only when ``mapped()`` is
called: ``import lamin_pipes`` stays free of torch. The modules:

- :mod:`._elements`: readers of rows and ranges (memory maps, range requests, h5py, zarr);
- :mod:`._stores`: one AnnData store, opened once per process;
- :mod:`._labels`: obs columns, label encoders, filters, weights;
- :mod:`._samplers`: block-shuffling samplers (and their ``torch.distributed`` variant);
- :mod:`._collection`: the dataset, its batched reads and their collation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ...errors import InvalidArgument
from .._artifact_data import _store, _verify_local
from .._artifact_store import storage_key
from .._run_links import track_inputs

if TYPE_CHECKING:
    from ._collection import MappedCollection

logger = logging.getLogger("lamin_pipes")

#: The options of ``mapped()`` that go to the dataset (``stream`` and ``is_run_input`` do not).
DATASET_OPTIONS = (
    "layers_keys",
    "obs_keys",
    "obsm_keys",
    "obs_filter",
    "join",
    "encode_labels",
    "unknown_label",
    "cache_categories",
    "parallel",
    "dtype",
)


def _dataset_class() -> type[MappedCollection]:
    try:
        from ._collection import MappedCollection
    except ImportError as error:
        msg = (
            "mapped() needs PyTorch: install the torch extra "
            "(pip install torch, then pip install 'lamin-pipes[torch]')"
        )
        raise ImportError(msg) from error
    return MappedCollection


def _is_anndata(artifact: Any) -> bool:
    suffix = artifact.suffix or ""
    return ".h5ad" in suffix or ".zarr" in suffix


def artifact_location(artifact: Any, *, stream: bool) -> Any:
    """Where ``mapped()`` reads an artifact: a local path, or a remote ``UPath`` to stream."""
    if artifact.id is None:
        msg = f"Save the artifact {artifact.key or artifact.uid} before calling mapped()"
        raise InvalidArgument(msg)
    if not stream:
        return artifact.cache(is_run_input=False)
    store = _store(artifact)
    key = storage_key(artifact)
    local = store.local_path(key)
    if local is not None:
        _verify_local(artifact, local)
        return local
    return store.upath(key)


def mapped_artifacts(
    artifacts: list[Any],
    *,
    stream: bool = False,
    is_run_input: bool | None = None,
    inputs: list[Any] | None = None,
    **options: Any,
) -> MappedCollection:
    """A ``MappedCollection`` over the AnnData artifacts among ``artifacts``, in order.

    Artifacts of other formats are skipped with a warning (as lamindb does). Once the
    dataset is built, ``inputs`` (default: the artifacts used) are recorded as inputs
    of the current run, following ``is_run_input``.
    """
    unknown = sorted(set(options) - set(DATASET_OPTIONS))
    if unknown:
        msg = f"mapped() got unknown options {unknown}; valid options: {list(DATASET_OPTIONS)}"
        raise InvalidArgument(msg)
    dataset_class = _dataset_class()
    used: list[Any] = []
    for artifact in artifacts:
        if not _is_anndata(artifact):
            logger.warning(
                "mapped() ignores artifact %s with suffix %r: it reads .h5ad and .zarr",
                artifact.uid,
                artifact.suffix,
            )
            continue
        used.append(artifact)
    if not used:
        msg = (
            f"mapped() needs AnnData artifacts (.h5ad or .zarr); none of the "
            f"{len(artifacts)} artifacts is one"
        )
        raise InvalidArgument(msg)
    paths = [artifact_location(a, stream=stream) for a in used]
    dataset = dataset_class(paths, **options)
    track_inputs(inputs if inputs is not None else used, is_run_input)
    return dataset


def mapped_collection(
    collection: Any, *, stream: bool = False, is_run_input: bool | None = None, **options: Any
) -> MappedCollection:
    """``collection.mapped()``: its members in order; the collection becomes the run input.

    An unsaved collection uses the artifacts it was given (with a warning, as lamindb).
    """
    if collection.id is not None:
        members = collection.ordered_artifacts.to_list()
        inputs = [collection]
    else:
        pending = collection.__dict__.get("_lp_members")
        if pending is None:
            msg = "Save the collection before calling mapped()"
            raise InvalidArgument(msg)
        logger.warning("the collection isn't saved, consider calling .save()")
        members, inputs = list(pending), []
    return mapped_artifacts(
        members, stream=stream, is_run_input=is_run_input, inputs=inputs, **options
    )
