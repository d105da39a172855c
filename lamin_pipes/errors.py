"""Errors raised by lamin_pipes.

Every error derives from one root, so ``except ln.errors.LaminPipesError`` catches
all of them. Where Python has a matching builtin, the error inherits it too::

    LaminPipesError
    ├── DoesNotExist (LookupError), also named ObjectDoesNotExist
    ├── MultipleResultsFound (LookupError)
    ├── ValidationError (ValueError)
    │   └── FieldValidationError
    ├── InvalidArgument (ValueError)
    ├── FieldError (AttributeError)
    ├── IntegrityError
    ├── RecordLockedError (PermissionError)
    ├── ReadOnlyInstanceError (PermissionError)
    ├── InstanceNotSetupError (RuntimeError)
    ├── MigrationError (RuntimeError)
    ├── TrackNotCalled (RuntimeError)
    ├── RunInProgress (RuntimeError)
    ├── StorageError (OSError)
    └── UnknownStorageLocation

Examples:
    >>> import lamin_pipes as ln
    >>> issubclass(ln.errors.DoesNotExist, LookupError)
    True
"""

from __future__ import annotations

__all__ = [
    "DoesNotExist",
    "FieldError",
    "FieldValidationError",
    "InstanceNotSetupError",
    "IntegrityError",
    "InvalidArgument",
    "LaminPipesError",
    "MigrationError",
    "MultipleResultsFound",
    "ObjectDoesNotExist",
    "ReadOnlyInstanceError",
    "RecordLockedError",
    "RunInProgress",
    "StorageError",
    "TrackNotCalled",
    "UnknownStorageLocation",
    "ValidationError",
]


class LaminPipesError(Exception):
    """Root of every error raised by lamin_pipes."""


class DoesNotExist(LaminPipesError, LookupError):
    """No record matches the query."""


#: lamindb's other name for :class:`DoesNotExist` (Django's ``ObjectDoesNotExist``).
ObjectDoesNotExist = DoesNotExist


class MultipleResultsFound(LaminPipesError, LookupError):
    """More than one record matches a query that expects exactly one."""


class ValidationError(LaminPipesError, ValueError):
    """Values fail validation against a registry or schema."""


class FieldValidationError(ValidationError):
    """A record was constructed with an unknown field or bad arguments."""


class InvalidArgument(LaminPipesError, ValueError):
    """An argument has a value outside its valid options."""


class FieldError(LaminPipesError, AttributeError):
    """A query names a field or lookup that the registry does not have."""


class IntegrityError(LaminPipesError):
    """The database refused a write (unique or foreign key constraint)."""


class RecordLockedError(LaminPipesError, PermissionError):
    """The record is locked (``is_locked=True``) and refuses edits."""


class ReadOnlyInstanceError(LaminPipesError, PermissionError):
    """A write was attempted through a read-only connection to another instance."""


class InstanceNotSetupError(LaminPipesError, RuntimeError):
    """No instance could be opened."""


class MigrationError(LaminPipesError, RuntimeError):
    """The instance's schema cannot be brought to the version this package expects."""


class TrackNotCalled(LaminPipesError, RuntimeError):
    """No run is being tracked: ``ln.finish()`` before ``ln.track()``, or ``@ln.step()``
    called outside any run."""


class RunInProgress(LaminPipesError, RuntimeError):
    """``@ln.flow()`` was called while another run is ``ln.context.run``."""


class StorageError(LaminPipesError, OSError):
    """A stored object differs from what was recorded for it (its size or hash)."""


class UnknownStorageLocation(LaminPipesError):
    """A path to register in place lies in no registered storage location.

    Register a location that contains it first: ``ln.Storage(root=...).save()``.
    """
