"""Personal data of the parties, as it may be shown: masked (DESIGN.md §5)."""

from __future__ import annotations

from civicgrid.core.parsers import mask_phone


def mask_id_number(value: str) -> str:
    """``620202199001011234`` → ``6202**********1234``."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_address(value: str) -> str:
    """Keep the first part of the place (the village), hide the house number."""
    value = (value or "").strip()
    keep = min(6, len(value) // 2)
    return value[:keep] + "****" if value else ""


def masked_phone(value: str) -> str:
    return mask_phone(value) if value else ""
