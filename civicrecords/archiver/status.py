"""Is every official account still being captured? (``civicrecords status``)

The disconnect users of paid archiving services complain about is silent: a token expires,
a page's permission is withdrawn, and nothing is captured for weeks. ``account_statuses``
reads what each job recorded per account (mode, gaps, the platform's answer about the
token) and flags accounts that are overdue, have a rejected or expired token, or have not
had a full sweep (the only way removals are seen) for too long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from civicrecords.catalog import Catalog
from civicrecords.config import AccountConfig, Config
from civicrecords.environment import parse_utc

TOKEN_WARNING = timedelta(days=7)


@dataclass
class AccountStatus:
    """One account's capture health."""

    name: str
    platform: str
    department: str | None
    designation: str
    approval: str | None
    administrators: list[str]
    capture_interval_hours: int
    last_capture: str | None = None
    last_successful: str | None = None
    last_full_sweep: str | None = None
    open_gaps: list[dict[str, Any]] = field(default_factory=list)
    token: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        """True when the account is overdue or its token is rejected or expired."""
        return bool(self.problems)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**{k: v for k, v in vars(self).items()}, "needs_attention": self.needs_attention}


def _latest(catalog: Catalog, account: str, condition: str) -> dict[str, Any] | None:
    row = catalog.execute(
        f"SELECT * FROM job_accounts WHERE account=? AND {condition} "
        "ORDER BY finished DESC LIMIT 1", (account,)).fetchone()
    return dict(row) if row else None


def _age(now: datetime, moment: str | None) -> timedelta | None:
    return now - parse_utc(moment) if moment else None


def account_status(catalog: Catalog, account: AccountConfig, now: datetime) -> AccountStatus:
    """The status of one configured account at ``now``."""
    status = AccountStatus(
        name=account.name, platform=account.platform, department=account.department,
        designation=account.designation, approval=account.approval,
        administrators=list(account.administrators),
        capture_interval_hours=account.capture_interval_hours)
    # webhook-triggered (targeted) jobs fetch single objects: they do not count as captures
    last = _latest(catalog, account.name, "mode != 'targeted'")
    successful = _latest(catalog, account.name, "mode != 'targeted' AND gaps = 0")
    full = _latest(catalog, account.name, "mode = 'full' AND gaps = 0")
    status.last_capture = last["finished"] if last else None
    status.last_successful = successful["finished"] if successful else None
    status.last_full_sweep = full["finished"] if full else None
    interval = timedelta(hours=account.capture_interval_hours)
    if last is None:
        status.problems.append("never captured")
        return status
    status.open_gaps = [dict(g) for g in catalog.execute(
        "SELECT url, reason, attempts, scope FROM gaps WHERE job_id=? AND account=?",
        (last["job_id"], account.name))]
    age = _age(now, status.last_successful)
    if age is None or age > interval:
        since = status.last_successful or "never"
        status.problems.append(f"overdue: last complete capture {since}, interval "
                               f"{account.capture_interval_hours} h")
    sweep_age = _age(now, status.last_full_sweep)
    if sweep_age is None or sweep_age > 2 * timedelta(hours=account.full_sweep_hours):
        status.warnings.append(f"no complete full sweep within {2 * account.full_sweep_hours} h;"
                               " removals may be going unnoticed")
    _check_token(status, _latest(catalog, account.name, "token IS NOT NULL") or last, now)
    return status


def _check_token(status: AccountStatus, last: dict[str, Any], now: datetime) -> None:
    token = json.loads(last["token"]) if last.get("token") else None
    status.token = token
    if token is None:
        return
    if not token.get("valid", True):
        status.problems.append(f"token rejected by the platform: {token.get('detail') or ''}"
                               .rstrip(": "))
        return
    expires = token.get("expires_at")
    if expires:
        left = parse_utc(expires) - now
        if left <= timedelta(0):
            status.problems.append(f"token expired {expires}")
        elif left <= TOKEN_WARNING:
            status.warnings.append(f"token expires {expires}")


def account_statuses(catalog: Catalog, config: Config, now: datetime) -> list[AccountStatus]:
    """The status of every configured account, in config order."""
    return [account_status(catalog, account, now) for account in config.accounts]
