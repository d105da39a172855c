"""Settings, instances (engines and sessions), migrations and uids.

Nothing in this package imports a registry.
"""
