"""The header names of the CRMs and address books reps leave, column by column: data for bot/imports.py.

Each CRM writes its own names for the same few things (Pipedrive's `Person - Email - Work`, Google
Contacts' `E-mail 1 - Value`, Outlook's `Business Phone`, Odoo's `Job Position`). Within a column the
order is the preference: where a file has several phone or e-mail columns, a row's first non-empty one in
this order (after bot/imports.py's own names) is taken, so Odoo's `Mobile` fills in when `Phone` is empty.
Names are matched folded (case and accents ignored, spaces collapsed).
"""

from __future__ import annotations

# CRM -> column -> the names its exports use, best first.
CRM_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "pipedrive": {
        "name": ("person - name",),
        "first_name": ("person - first name",),
        "last_name": ("person - last name",),
        "company": ("person - organization", "organization - name"),
        "role": ("person - job title",),
        "phone": ("person - phone - mobile", "person - phone - work", "person - phone - home", "person - phone - other", "person - phone"),
        "email": ("person - email - work", "person - email - home", "person - email - other", "person - email"),
        "location": ("person - city", "organization - address - city/town/village/locality"),
        "tags": ("person - labels", "person - label"),
        "note": ("person - notes", "person - note"),
    },
    "google contacts": {
        "first_name": ("given name",),
        "last_name": ("family name",),
        "company": ("organization name", "organization 1 - name"),
        "role": ("organization title", "organization 1 - title"),
        "phone": ("phone 1 - value", "phone 2 - value", "phone 3 - value"),
        "email": ("e-mail 1 - value", "e-mail 2 - value", "e-mail 3 - value"),
        "location": ("address 1 - city",),
    },
    "outlook": {
        "phone": ("mobile phone", "business phone", "business phone 2", "home phone", "company main phone", "other phone"),
        "email": ("e-mail address", "e-mail 2 address", "e-mail 3 address"),
        "location": ("business city", "home city"),
        "tags": ("categories",),
    },
    "hubspot": {
        "phone": ("mobile phone number", "phone number"),
        "email": ("email",),
        "company": ("company name", "associated company"),
        "role": ("job title",),
        "source": ("original source", "lead source"),
    },
    "odoo": {
        # Odoo's `Phone` first: its `Mobile` is taken where `Phone` is empty.
        "phone": ("phone", "mobile"),
        "company": ("related company", "company name", "company"),
        "role": ("job position",),
        "tags": ("tags",),
    },
    "salesforce": {
        "company": ("account name", "company / account", "company"),
        "role": ("title",),
        "phone": ("phone", "mobile", "business phone"),
        "email": ("email",),
        "location": ("mailing city", "city"),
        "source": ("lead source",),
        "note": ("description",),
    },
}  # fmt: skip
