"""The verified person behind end-user accounts (DS Art 9; Interim Measures Arts 10, 14).

An account is linked to a :class:`VerifiedIdentity`, named by a keyed HMAC of the normalised ID
number (or of the national-identity subject); the key is derived from ``var/secret.key`` (or
``security.secret_key``), never stored in the database. What matters about a person follows the
person, not the account:

- **sanctions**: the gate checks every account of the same person (and of the same verified
  mobile number), so a terminated user cannot carry on under a fresh account;
- **minor status**: the age marks are kept on the identity and copied to each linked account;
- **account cap**: one person verifies at most ``identity.accounts_per_identity`` accounts.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hegui.identity.crypto import KeyRing
from hegui.identity.errors import IdentityAccountLimit
from hegui.identity.minors import AgeMarks
from hegui.storage.base import utcnow
from hegui.storage.models import EndUser, VerifiedIdentity


def identity_ref(keys: KeyRing, kind: str, value: str) -> str:
    """Keyed HMAC of a normalised ID number (``kind = id_card``) or identity subject."""
    return keys.pseudonym(value, f"identity:{kind}")


def link(s: Session, user: EndUser, ref: str, kind: str, verifier: str, marks: AgeMarks | None,
         cap: int) -> VerifiedIdentity:
    """Attach ``user`` to the person ``ref`` within the account cap, race-free: the identity row
    is written (and so locked) before the accounts are counted."""
    now = utcnow()
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(insert(VerifiedIdentity).values(
        ref=ref, kind=kind, verifier=verifier, created_at=now, last_verified_at=now,
        adult_on=marks.adult_on if marks else None, age14_on=marks.age14_on if marks else None,
        age16_on=marks.age16_on if marks else None).on_conflict_do_nothing(index_elements=["ref"]))
    s.execute(update(VerifiedIdentity).where(VerifiedIdentity.ref == ref)
              .values(last_verified_at=now, verifier=verifier))
    person = s.scalars(select(VerifiedIdentity).where(VerifiedIdentity.ref == ref)
                       .execution_options(populate_existing=True)).one()
    if user.identity_ref != ref:
        others = s.scalar(select(func.count()).select_from(EndUser).where(
            EndUser.identity_ref == ref, EndUser.id != user.id, EndUser.status != "deleted")) or 0
        if others >= cap:
            raise IdentityAccountLimit(limit=cap)
    if marks and person.adult_on is None:  # a national-identity person later confirmed by ID card
        person.adult_on, person.age14_on, person.age16_on = marks.adult_on, marks.age14_on, marks.age16_on
    user.identity_ref = ref
    user.adult_on, user.age14_on, user.age16_on = person.adult_on, person.age14_on, person.age16_on
    return person


def linked_accounts(s: Session, user: EndUser) -> list[EndUser]:
    """Other live accounts of the same verified person or the same verified mobile number."""
    same = []
    if user.identity_ref:
        same.append(EndUser.identity_ref == user.identity_ref)
    if user.phone_hmac:
        same.append(EndUser.phone_hmac == user.phone_hmac)
    if not same:
        return []
    q = select(EndUser).where(or_(*same), EndUser.id != user.id, EndUser.status != "deleted")
    return list(s.scalars(q))


def age_confirmed(user: EndUser) -> bool:
    """Whether an identity check established the user's age (mobile numbers say nothing of it)."""
    return user.adult_on is not None
