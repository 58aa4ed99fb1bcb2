"""The vendor reference's own request examples (seed/contact-api-reference.txt), for tests to send verbatim."""

from __future__ import annotations

from typing import Any

#: The body of the reference's ``POST /api/contact`` example.
CREATE: dict[str, Any] = {
    "name": "John Doe",
    "email": "john@example.com",
    "phone": "+15551234567",
    "businessName": "Acme Corp",
    "city": "New York",
    "state": "NY",
    "value": "5000",
    "stageName": "New Lead",
    "qualityName": "High",
    "ownerEmail": "sales@yourcompany.com",
    "snapshot": "Interested in enterprise solution, contacted via website",
    "note": "Initial contact made through website form",
    "tags": ["Hot Lead", "Website", "Q1 2024"],
}

#: The body of the reference's ``PUT /api/contact`` example, without its ``uid``.
UPDATE: dict[str, Any] = {
    "city": "Los Angeles",
    "state": "CA",
    "value": "10000",
    "stageName": "Qualified",
    "snapshot": "Follow-up scheduled for next week. Very interested in premium package.",
    "tags": ["Premium Interest"],
}

#: The ``note`` of the reference's ``POST /api/contact/note/add`` example.
NOTE = "Customer called to inquire about enterprise pricing. Scheduled demo for next Tuesday at 2 PM."
