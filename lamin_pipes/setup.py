"""Instance set-up, as ``lamindb.setup`` offers it: ``ln.setup.init(storage=..., db=...)``."""

from .core._connect import connect, init

__all__ = ["connect", "init"]
