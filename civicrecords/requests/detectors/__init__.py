"""Offline detectors of personal data in public responses (MGDPA redaction candidates).

Detectors only *flag candidates*: a person accepts or rejects each one, and an accepted one
carries a statute taken from the archive's configuration (never from this package). Only the
statute-backed categories with ``auto_redact=True`` (``ssn``, ``card``) may be redacted
without review.

``detect(text)`` normalizes the text first (NFKC, so fullwidth digits and non-breaking spaces
become ASCII; format characters such as zero-width spaces and soft hyphens removed; every
Unicode dash read as ``-``, every decimal digit as ASCII), then runs one detector per
category; all offsets in the returned candidates refer to the original text. Everything is
pure, offline and deterministic.

What callers must know:

* number categories never overlap: where they would, only the strongest is kept, in the order
  ``mn_dl``, ``card``, ``ssn``, ``aba_routing``, ``phone``, ``bank_account``;
* ``health``, ``personnel`` and ``minor`` candidates span the whole sentence (or clause)
  holding the keyword; other categories span the value itself;
* ``Candidate.context`` never holds the value of an ``ssn``, ``mn_dl``, ``card``,
  ``aba_routing`` or ``bank_account`` candidate, nor of any such number near it; every
  candidate's own span is shown as ``[category]``;
* 123-45-6789 is reported as an SSN; SSA-voided samples (078-05-1120, 219-09-9999,
  987-65-4320..9) are not. A routing number needs a context word ("routing", "ABA"...).

Detector names (``Candidate.detector``): ``ssn.regex``, ``ssn.itin``, ``mn_dl.context``,
``card.luhn``, ``aba_routing.checksum``, ``bank_account.context``, ``phone.nanp``,
``phone.intl``, ``phone.local``, ``email.regex``, ``email.obfuscated``, ``dob.numeric``,
``dob.month_name``, ``street_address.regex``, ``street_address.route``,
``street_address.po_box``, ``health.keyword``, ``personnel.keyword``, ``minor.keyword``.

Modules: ``ssn`` (SSN/ITIN), ``financial`` (card, routing, bank account), ``contact``
(phone, email), ``identity`` (MN licence, date of birth), ``address`` (street address),
``keywords`` (health, personnel), ``minors`` (minor), ``normalization``, ``sentences``,
``phrases``, ``spans`` and ``context`` (shared text handling), ``engine`` (``detect``),
``evaluation`` (precision/recall scoring against a labelled corpus). Each module's docstring
states its rules.
"""

from civicrecords.requests.detectors.engine import detect
from civicrecords.requests.detectors.model import CATEGORIES, Candidate, CategoryInfo
from civicrecords.requests.detectors.normalization import normalize

__all__ = ["CATEGORIES", "Candidate", "CategoryInfo", "detect", "normalize"]
