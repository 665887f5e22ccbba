"""Personal data of the parties: sealed at rest (``core.personal``), shown masked.

``plain`` opens a party for the one audited reveal (``services.reveal_parties``); ``masked``
is what every page, the API and the PDF show.
"""

from __future__ import annotations

from typing import Any

from civicgrid.core.parsers import mask_phone
from civicgrid.core.personal import lookup_hash, seal, unseal
from civicgrid.mediation.models import Party


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


def sealed_party(*, dispute: Any, side: str, kind: str, name: str, id_number: str = "",
                 phone: str = "", address: str = "") -> Party:
    """A new (unsaved) party with its personal data encrypted and its lookup hashes."""
    return Party(dispute=dispute, side=side, kind=kind, name=name.strip(),
                 id_number=seal(id_number), phone=seal(phone), address=seal(address),
                 id_hash=lookup_hash(id_number), phone_hash=lookup_hash(phone))


def plain(party: Party) -> dict[str, str]:
    return {"side": party.get_side_display(), "kind": party.get_kind_display(),
            "name": party.name, "id_number": unseal(party.id_number),
            "phone": unseal(party.phone), "address": unseal(party.address)}


def masked(party: Party) -> dict[str, str]:
    row = plain(party)
    row.update(id_number=mask_id_number(row["id_number"]), phone=masked_phone(row["phone"]),
               address=mask_address(row["address"]))
    return row
