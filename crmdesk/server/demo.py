"""Seeding of the Demo account: once, idempotently, in one transaction."""

from __future__ import annotations

import os

from crmdesk import contract
from crmdesk.server import demo_data, store
from crmdesk.server.config import DEMO_TOKEN_ENV
from crmdesk.server.store import COLUMN_OF, Store, StoreError, insert_id


def seed_demo(db: Store, token: str | None = None) -> str | None:
    """Create the Demo account with its sample data unless it exists; return a newly generated token.

    ``token`` (default: ``$CRMDESK_DEMO_TOKEN``) replaces the account's tokens on every call, so the desktop
    app can hand the embedded server a fresh token each launch. Without it a token is generated on the
    first seed only, and returned so the caller can show it once. A token another account holds is refused
    with :class:`StoreError`, and nothing changes.
    """
    if token is None:
        token = os.environ.get(DEMO_TOKEN_ENV) or None
    if token is not None:
        try:
            token = store.checked_token(token)  # trimmed as every other token is, so that the one sent matches
        except StoreError as exc:
            raise StoreError(f"the demo token (${DEMO_TOKEN_ENV}): {exc}") from exc
    # A token names one account, as add_account and replace_tokens insist: taking another account's would lock its
    # users out and show them the Demo account instead.
    holder = db.account_for_token(token) if token else None
    if holder is not None and holder.name != demo_data.ACCOUNT_NAME:
        raise StoreError(f"the demo token (${DEMO_TOKEN_ENV}) is another account's token; choose another")
    existing = db.find_account(demo_data.ACCOUNT_NAME)
    if existing is not None:
        if token:
            db.replace_tokens(demo_data.ACCOUNT_NAME, token)
        return None
    generated = token is None
    chosen = token or store.new_token()
    with db.engine.begin() as conn:
        account_id = insert_id(
            conn.execute(
                store.accounts.insert().values(
                    name=demo_data.ACCOUNT_NAME, plan=demo_data.PLAN, time_zone=demo_data.TIME_ZONE
                )
            )
        )
        conn.execute(store.tokens.insert().values(token=store.token_key(chosen), account_id=account_id))
        ids: dict[str, dict[str, int]] = {"stageName": {}, "qualityName": {}, "ownerEmail": {}}
        for table, field, names in (
            (store.stages, "stageName", demo_data.STAGES),
            (store.qualities, "qualityName", demo_data.QUALITIES),
        ):
            for name in names:
                ids[field][name.casefold()] = insert_id(
                    conn.execute(table.insert().values(account_id=account_id, name=name, name_key=name.casefold()))
                )
        for email, full in demo_data.MEMBERS:
            ids["ownerEmail"][email.casefold()] = insert_id(
                conn.execute(
                    store.members.insert().values(
                        account_id=account_id, email=email, email_key=email.casefold(), name=full
                    )
                )
            )
        tag_ids: dict[str, int] = {}
        for sample in demo_data.CONTACTS:
            values: dict[str, str] = {column: str(sample.get(field, "")) for field, column in COLUMN_OF.items()}
            values["phone_digits"] = contract.phone_digits(values["phone"])
            values["email_key"] = store.email_key(values["email"])
            contact_id = insert_id(
                conn.execute(
                    store.contacts.insert().values(
                        account_id=account_id,
                        uid=sample["uid"],
                        created=sample["created"],
                        last_update=sample["notes"][-1][0][:19] + "Z" if sample.get("notes") else sample["created"],
                        stage_id=ids["stageName"][sample["stageName"].casefold()],
                        quality_id=ids["qualityName"][sample["qualityName"].casefold()],
                        owner_id=ids["ownerEmail"][sample["ownerEmail"].casefold()],
                        **values,
                    )
                )
            )
            for tag in sample.get("tags", []):
                key = tag.casefold()
                if key not in tag_ids:
                    tag_ids[key] = insert_id(
                        conn.execute(store.tags.insert().values(account_id=account_id, name=tag, name_key=key))
                    )
                conn.execute(store.contact_tags.insert().values(contact_id=contact_id, tag_id=tag_ids[key]))
            for stamp, text in sample.get("notes", []):
                moment = contract.parse_timestamp(stamp)
                assert moment is not None
                conn.execute(
                    store.notes.insert().values(contact_id=contact_id, created_at=moment.isoformat(), text=text)
                )
    return chosen if generated else None
