"""``DataFrameCurator`` and ``AnnDataCurator``: validate, standardize, annotate.

A curator checks a dataset against a saved :class:`~lamin_pipes.models.Schema` and
reports every problem at once (:class:`~lamin_pipes.curators.ValidationReport`);
``standardize()`` replaces synonyms with valid terms, ``cat.add_new_from(key)``
registers new terms on purpose, and ``save_artifact()`` stores the dataset as an
artifact linked to the schema, annotated with the labels it contains and with one
schema per slot (``artifact.features.slots``).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..errors import InvalidArgument, ValidationError
from ..models._annotation_links import label_link
from ..models._schema_itype import parse_itype
from ..models._schema_links import link_slots
from ..models.artifact import Artifact
from ..models.feature import Feature
from ..models.schema import Schema
from ..orm._records import record_instance
from ._component import ComponentCurator
from ._report import Problem, ValidationReport

logger = logging.getLogger("lamin_pipes")

#: The slot name lamindb gives a DataFrame's columns in ``artifact.features.slots``.
COLUMNS_SLOT = "columns"
#: The AnnData slots a curator validates.
ANNDATA_SLOTS = ("obs", "var", "var.T")


class CatManager:
    """The categorical columns of a curator: ``curator.cat``.

    Keys are column names (``"columns"`` for the column names themselves where an
    ``itype`` validates them, as lamindb calls them); with several slots, a key is
    looked up in every slot (pass ``slot=`` where two slots share a column name).
    """

    def __init__(self, components: dict[str | None, ComponentCurator]) -> None:
        self._components = components

    def __repr__(self) -> str:
        keys = [k for c in self._components.values() for k in c.cat_columns]
        return f"CatManager(categoricals={keys!r})"

    def _find(self, key: str, slot: str | None = None) -> ComponentCurator:
        if slot is not None:
            if slot not in self._components:
                msg = f"No slot {slot!r}; slots: {', '.join(map(repr, self._components))}"
                raise InvalidArgument(msg)
            return self._components[slot]
        holders = [c for c in self._components.values() if key in c.cat_columns]
        if len(holders) == 1:
            return holders[0]
        if len(holders) > 1:
            slots = ", ".join(repr(c.slot) for c in holders)
            msg = f"Column {key!r} is in several slots ({slots}): pass slot=..."
            raise InvalidArgument(msg)
        keys = ", ".join(repr(k) for c in self._components.values() for k in c.cat_columns)
        msg = f"{key!r} is no categorical column; categorical columns: {keys or 'none'}"
        raise InvalidArgument(msg)

    @property
    def categoricals(self) -> list[Feature]:
        """The categorical features of the dataset's columns."""
        return [
            cat.feature
            for c in self._components.values()
            for cat in c.cat_columns.values()
            if cat.feature is not None
        ]

    @property
    def non_validated(self) -> dict[str, list[str]]:
        """Terms no registry has, by column (``"<slot>:<column>"`` with several slots).

        Raises:
            ValidationError: Before ``validate()`` ran.
        """
        if any(c.problems is None for c in self._components.values()):
            raise ValidationError("Please run validate() first!")
        out: dict[str, list[str]] = {}
        several = len(self._components) > 1
        for component in self._components.values():
            for key, terms in component.non_validated.items():
                out[f"{component.slot}:{key}" if several else key] = terms
        return out

    def standardize(self, key: str, *, slot: str | None = None) -> None:
        """Replace synonyms of valid terms in one column with the valid terms, in place."""
        self._find(key, slot).standardize(key)

    def add_new_from(self, key: str, *, slot: str | None = None, **kwargs: Any) -> None:
        """Register the terms of one column that no registry has yet, on purpose.

        Args:
            key: The column (or ``"columns"``).
            slot: The slot, where several slots have a column of that name.
            **kwargs: More fields of the new records (``description=...``).
        """
        self._find(key, slot).add_new_from(key, **kwargs)


class Curator:
    """What both curators share: the schema, validation state, report and saving.

    Args:
        dataset: The dataset, or a saved artifact holding it (loaded into memory).
        schema: A saved :class:`~lamin_pipes.models.Schema`.
    """

    _kind = "dataset"

    def __init__(self, dataset: Any, schema: Schema) -> None:
        if not isinstance(schema, Schema):
            msg = f"schema must be a Schema record, got {type(schema).__name__} {schema!r}"
            raise InvalidArgument(msg)
        if schema.id is None:
            msg = "Schema must be saved before curation: call schema.save() first."
            raise InvalidArgument(msg)
        self._artifact: Artifact | None = None
        if isinstance(dataset, Artifact):
            if dataset.id is None:
                msg = "Save the artifact before curating it, or pass the dataset itself."
                raise InvalidArgument(msg)
            self._artifact = dataset
            dataset = dataset.load(is_run_input=False)
        self._dataset = dataset
        self._schema = schema
        self._components: dict[str | None, ComponentCurator] = {}
        self._report: ValidationReport | None = None

    def __repr__(self) -> str:
        status = "validated" if self._report is not None and self._report.ok else "unvalidated"
        label = self._schema.name or self._schema.uid
        return f"{type(self).__name__}(schema={label!r}, {status})"

    @property
    def cat(self) -> CatManager:
        """The categorical columns: ``non_validated``, ``standardize``, ``add_new_from``."""
        return CatManager(self._components)

    @property
    def report(self) -> ValidationReport:
        """The problems validation found, as data; validates first if needed."""
        if self._report is None or any(c.problems is None for c in self._components.values()):
            self._report = self._check()
        return self._report

    def _check(self) -> ValidationReport:
        problems: list[Problem] = []
        for component in self._components.values():
            problems += component.validate()
        return ValidationReport(
            tuple(problems),
            dataset=self._kind,
            schema=self._schema.name or self._schema.uid,
        )

    def validate(self) -> None:
        """Validate the dataset against the schema.

        Raises:
            ValidationError: Listing every problem (the report, as data, is
                ``error.report`` and ``curator.report``).
        """
        self._report = self._check()
        if not self._report.ok:
            error = ValidationError(self._report.to_text())
            error.report = self._report  # type: ignore[attr-defined]
            raise error

    def standardize(self) -> None:
        """Standardize the dataset in place.

        Replaces synonyms (and other casings) of valid terms with the valid terms in
        every categorical column; adds missing columns of nullable features (or of
        features with a ``default_value``) and fills missing values with the
        feature's ``default_value``, as lamindb.

        Raises:
            ValidationError: If a missing column cannot be added (a feature that is
                not nullable and has no default value).
        """
        if self._artifact is not None:
            msg = (
                "Cannot change the dataset of an artifact: load it (artifact.load()) and "
                "curate the loaded dataset instead."
            )
            raise InvalidArgument(msg)
        for component in self._components.values():
            feature_columns = parse_itype(component.schema.itype or "Feature").is_feature
            if component.dataset is not None and feature_columns:
                _fill_defaults(component)
            component.standardize()
        self._report = None

    # --- saving --------------------------------------------------------------------

    def _new_artifact(self, **kwargs: Any) -> Artifact:
        raise NotImplementedError

    def _slot_names(self) -> dict[str | None, str]:
        raise NotImplementedError

    def save_artifact(
        self,
        *,
        key: str | None = None,
        description: str | None = None,
        revises: Artifact | None = None,
        run: Any = None,
    ) -> Artifact:
        """Save the dataset as an artifact, linked to the schema and annotated.

        Validates first if needed. The artifact gets ``schema``, its features'
        labels (``artifact.features.get_values()``, ``artifact.labels``) and one
        schema per slot (``artifact.features.slots``).

        Args:
            key: A key such as ``"datasets/cells.parquet"``.
            description: A description.
            revises: An artifact whose family gets the new version.
            run: The creating run (default: the current run).

        Raises:
            ValidationError: If the dataset does not match the schema.
        """
        if self._report is None or not self._report.ok:
            self.validate()
        artifact = self._artifact
        if artifact is None:
            artifact = self._new_artifact(
                key=key, description=description, revises=revises, run=run
            )
        artifact.schema = self._schema
        artifact.save()
        self._annotate(artifact)
        return artifact

    def _annotate(self, artifact: Artifact) -> None:
        """Link the artifact to a schema per slot and to the labels of its columns."""
        inst = record_instance(artifact)
        with inst.atomic():
            slots: dict[str, Schema] = {}
            for component_slot, name in self._slot_names().items():
                schema = _slot_schema(self._components[component_slot])
                if schema is not None:
                    slots[name] = schema
            rows: dict[str, list[dict[str, Any]]] = {}
            for component in self._components.values():
                for feature, registry, record_id in component.label_links():
                    link = label_link(artifact, registry)
                    rows.setdefault(registry, []).append(
                        {
                            link.host_column: artifact.id,
                            link.label_column: record_id,
                            link.feature_column: feature.id,
                        }
                    )
            with inst.session() as session:
                link_slots(artifact, slots, session)
                for registry, registry_rows in rows.items():
                    _insert_ignore(session, label_link(artifact, registry).table, registry_rows)


def _insert_ignore(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING``: links that exist already are kept."""
    stmt: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing()
    session.execute(stmt, rows)


def _slot_schema(component: ComponentCurator) -> Schema | None:
    """The schema describing what a table holds: its validated features or identifiers."""
    schema = component.schema
    features: list[Feature] | None = None
    n_members = None
    if parse_itype(schema.itype or "Feature").registry == "Feature":
        features = component.validated_features()
        if not features:
            logger.warning("no features found for slot %r", component.slot or COLUMNS_SLOT)
            return None
    else:
        n_members = component.validated_identifiers()
        if n_members == 0:
            return None
    return Schema(
        features,
        itype=schema.itype,
        dtype=schema.dtype,
        n_members=n_members,
        minimal_set=schema.minimal_set,
        maximal_set=schema.maximal_set,
        ordered_set=schema.ordered_set,
        coerce=bool(schema.coerce),
    ).save()


def _fill_defaults(component: ComponentCurator) -> None:
    frame = component.dataset
    assert frame is not None
    for feature in component.schema.members if component.schema.n_members else []:
        name = feature.name
        if name not in frame.columns:
            if feature.default_value is None and not feature.nullable:
                msg = (
                    f"Missing column {name!r} cannot be added: its feature is not nullable "
                    "and has no default_value."
                )
                raise ValidationError(msg)
            fill = feature.default_value if feature.default_value is not None else pd.NA
            if (feature._dtype_str or "").startswith("cat"):
                frame[name] = pd.Categorical([fill] * len(frame))
            else:
                frame[name] = fill
            logger.info("added column %r with fill value %r", name, fill)
        elif feature.default_value is not None:
            series = frame[name]
            if (
                isinstance(series.dtype, pd.CategoricalDtype)
                and feature.default_value not in series.cat.categories
            ):
                series = series.cat.add_categories(feature.default_value)
            frame[name] = series.fillna(feature.default_value)


class DataFrameCurator(Curator):
    """Validate a ``pandas.DataFrame`` against a schema, standardize it, save it annotated.

    Args:
        dataset: The DataFrame, or a saved artifact of one.
        schema: A saved schema of features (not a composite one).

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> cell_type = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
        >>> n_counts = ln.Feature(name="n_counts", dtype=float).save()
        >>> _ = ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
        >>> schema = ln.Schema([cell_type, n_counts], name="cells").save()
        >>> df = pd.DataFrame({"cell_type": ["T cell", "B cell", "NK cell"], "n_counts": [1.0, 2, 3]})
        >>> curator = ln.curators.DataFrameCurator(df, schema)
        >>> curator.validate()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.ValidationError: DataFrame does not match schema 'cells' (1 problem):
        - column 'cell_type': 1 term not validated in ULabel.name for feature 'cell_type': 'NK cell'
        ...
        >>> curator.cat.add_new_from("cell_type")
        >>> artifact = curator.save_artifact(key="cells.parquet")
        >>> sorted(artifact.features.get_values()["cell_type"])
        ['B cell', 'NK cell', 'T cell']
        >>> artifact.schema == schema, list(artifact.features.slots)
        (True, ['columns'])
    """

    _kind = "DataFrame"

    def __init__(self, dataset: pd.DataFrame | Artifact, schema: Schema) -> None:
        super().__init__(dataset, schema)
        if not isinstance(self._dataset, pd.DataFrame):
            msg = f"DataFrameCurator takes a pandas.DataFrame, got {type(self._dataset).__name__}"
            raise InvalidArgument(msg)
        if schema.itype is None and not schema.is_type:
            msg = (
                f"{schema._label()} is a composite schema (slots {sorted(schema.slots)}); "
                "a DataFrame is validated against a schema of features."
            )
            raise InvalidArgument(msg)
        self._components[None] = ComponentCurator(self._dataset, schema)

    @property
    def dataset(self) -> pd.DataFrame:
        """The DataFrame, with coerced (a copy) and standardized values."""
        frame = self._components[None].dataset
        assert frame is not None
        return frame

    @property
    def slots(self) -> dict[str, ComponentCurator]:
        """A DataFrame has no slots (lamindb's ``attrs`` slots are not supported)."""
        return {}

    def _slot_names(self) -> dict[str | None, str]:
        return {None: COLUMNS_SLOT}

    def _new_artifact(self, **kwargs: Any) -> Artifact:
        return Artifact.from_dataframe(self.dataset, **kwargs)


class AnnDataCurator(Curator):
    """Validate an ``AnnData`` against a composite schema, slot by slot.

    The schema has ``otype="AnnData"`` and slots ``obs`` (a schema of features for the
    ``obs`` columns), ``var.T`` (an ``itype`` schema for the ``var`` index: gene
    identifiers) and/or ``var`` (a schema of features for the ``var`` columns).
    Problems of every slot are reported together.

    Args:
        dataset: The AnnData, or a saved artifact of one.
        schema: A saved composite schema.

    Examples:
        >>> import lamin_pipes as ln
        >>> import anndata as ad, numpy as np, pandas as pd
        >>> gene = ln.Record(name="Gene", is_type=True).save()
        >>> _ = [ln.Record(name=g, type=gene).save() for g in ("CD4", "CD8A")]
        >>> genes = ln.Schema(itype=gene, maximal_set=True, name="genes").save()
        >>> donor = ln.Feature(name="donor", dtype=str).save()
        >>> obs = ln.Schema([donor], name="obs").save()
        >>> schema = ln.Schema(otype="AnnData", slots={"obs": obs, "var.T": genes}).save()
        >>> adata = ad.AnnData(np.ones((2, 3), dtype="float32"),
        ...     obs=pd.DataFrame({"donor": ["d1", "d2"]}, index=["c1", "c2"]),
        ...     var=pd.DataFrame(index=["CD4", "CD8A", "XYZ"]))
        >>> curator = ln.curators.AnnDataCurator(adata, schema)
        >>> print(curator.report)  # doctest: +ELLIPSIS
        AnnData does not match schema ... (1 problem):
        - slot 'var.T', column names: 1 term not validated in Record[Gene].name for column names: 'XYZ'
        ...
        >>> curator.slots["var.T"].cat_columns["columns"].non_validated
        ['XYZ']
    """

    _kind = "AnnData"

    def __init__(self, dataset: Any, schema: Schema) -> None:
        super().__init__(dataset, schema)
        adata = self._dataset
        if type(adata).__name__ != "AnnData":
            msg = f"AnnDataCurator takes an AnnData, got {type(adata).__name__}"
            raise InvalidArgument(msg)
        if schema.otype != "AnnData":
            msg = f"The schema's otype must be 'AnnData', got {schema.otype!r} ({schema._label()})."
            raise InvalidArgument(msg)
        slots = schema.slots
        if not slots:
            msg = (
                f"{schema._label()} has no slots: an AnnData is validated against a composite "
                "schema, e.g. ln.Schema(otype='AnnData', slots={'obs': ..., 'var.T': ...})."
            )
            raise InvalidArgument(msg)
        unknown = [s for s in slots if s not in ANNDATA_SLOTS]
        if unknown:
            msg = (
                f"AnnDataCurator validates the slots {', '.join(map(repr, ANNDATA_SLOTS))}, "
                f"not {', '.join(map(repr, unknown))}."
            )
            raise InvalidArgument(msg)
        for slot, slot_schema in slots.items():
            feature_columns = parse_itype(slot_schema.itype or "Feature").registry == "Feature"
            if slot == "obs" or (slot == "var" and feature_columns):
                frame = adata.obs if slot == "obs" else adata.var
                self._components[slot] = ComponentCurator(
                    frame, slot_schema, slot=slot, copy_on_write=False
                )
            else:
                if slot == "var":
                    logger.warning(
                        "slot 'var' with itype %r validates the var index: name the slot "
                        "'var.T' to say so",
                        slot_schema.itype,
                    )

                def set_var_names(names: list[str]) -> None:
                    adata.var_names = pd.Index(names)

                self._components[slot] = ComponentCurator(
                    None,
                    slot_schema,
                    slot=slot,
                    columns=lambda: adata.var_names,
                    set_columns=set_var_names,
                )

    @property
    def dataset(self) -> Any:
        """The AnnData (coerced and standardized values are written into it)."""
        return self._dataset

    @property
    def slots(self) -> dict[str, ComponentCurator]:
        """The curator of each slot."""
        return {slot: c for slot, c in self._components.items() if slot is not None}

    def _slot_names(self) -> dict[str | None, str]:
        return {slot: slot for slot in self._components if slot is not None}

    def _new_artifact(self, **kwargs: Any) -> Artifact:
        return Artifact.from_anndata(self._dataset, **kwargs)


__all__ = ["AnnDataCurator", "CatManager", "Curator", "DataFrameCurator"]
