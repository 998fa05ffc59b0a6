"""Every known code as data, loaded into typed entries."""

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.catalog.export import entry_to_dict
from evfault.catalog.loader import CatalogDataError
from evfault.catalog.model import CatalogEntry, EntryText, Kind, Measurement, Scheme, Severity

__all__ = [
    "Catalog",
    "CatalogDataError",
    "CatalogEntry",
    "EntryText",
    "Kind",
    "Measurement",
    "Scheme",
    "Severity",
    "default_catalog",
    "entry_to_dict",
]
