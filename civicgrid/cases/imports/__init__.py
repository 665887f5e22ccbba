"""Bulk import of work orders from 12345 systems and Excel sheets (docs/import-cases.md)."""

from civicgrid.cases.imports.clean import Rejected
from civicgrid.cases.imports.mapping import Mapping
from civicgrid.cases.imports.service import ImportResult, import_cases

__all__ = ["ImportResult", "Mapping", "Rejected", "import_cases"]
