"""Kinds of question shared by every topic: one convention each for mistakes, variants, tolerance and statuses.

A topic module (``dlweek8/checks/<topic>.py``) holds data and thin subclasses of these kinds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


# Claims with a reason ----------------------------------------------------------------------------
# A yes/no question's right combination, and the feedback each combination gets, are stored
# keyed and sealed (``checks/probes/<id>.json``, written from the instructor's references by
# ``python -m dlweek8 store-probes``): no attribute holds the answer or a text that states it.
# The key is no secret from someone who reads this file; it keeps the answer out of plain sight,
# and trying every combination is no quicker than asking ``check`` (a handful of calls).
_CLAIMS_KEY = b"dlweek8 claims with a reason"


def canonical(combination) -> str:
    """One text for a combination of yes/no claims and, optionally, a reason letter: "no|yes|B"."""
    return "|".join(("yes" if part else "no") if isinstance(part, bool) else str(part) for part in combination)


def digest(question_id: str, combination) -> str:
    """A keyed digest of one combination of ``question_id`` (claims only, or claims and letter)."""
    message = f"{question_id}\0{canonical(combination)}".encode()
    return hmac.new(_CLAIMS_KEY, message, hashlib.sha256).hexdigest()[:32]


def _stream(question_id: str, combination, size: int) -> bytes:
    message = _CLAIMS_KEY + f"\0text\0{question_id}\0{canonical(combination)}".encode()
    return hashlib.shake_256(message).digest(size)


def seal(question_id: str, combination, text: str) -> str:
    """``text`` readable only with the combination it answers (see :func:`unseal`)."""
    data = text.encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _stream(question_id, combination, len(data)), strict=True))).decode()


def unseal(question_id: str, combination, token: str) -> str:
    """The text :func:`seal` sealed for this combination."""
    data = base64.b64decode(token)
    return bytes(a ^ b for a, b in zip(data, _stream(question_id, combination, len(data)), strict=True)).decode()
