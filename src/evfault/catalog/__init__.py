"""Every known code as data, loaded into typed entries."""

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.catalog.model import CatalogEntry, EntryText, Kind, Measurement, Scheme, Severity

__all__ = [
    "Catalog",
    "CatalogEntry",
    "EntryText",
    "Kind",
    "Measurement",
    "Scheme",
    "Severity",
    "default_catalog",
]
