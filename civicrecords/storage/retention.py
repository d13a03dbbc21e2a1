"""The retention schedule applied to the catalog: each item's series, due date and state.

An item belongs to the first ``[[retention.rules]]`` entry it matches (account, kind,
hashtag, platform), else to ``default_series``. Its retention starts at the series' trigger
(platform creation date, first capture, or the last activity in its conversation) and ends
``retain_years`` later; permanent series never end. An item whose period has ended is
``due`` unless a legal hold covers it (``held``) or an open request does (``blocked``):
holds override the schedule (Minn. Stat. §§ 15.17, 138.17 as configured).

The same dates give each stored WARC its S3 Object Lock date (``lock_dates``): the latest
end among the items whose versions or records the file holds, so no copy in the bucket can
be deleted before the last record in it may be.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from civicrecords.catalog import Catalog
from civicrecords.config import Config
from civicrecords.config_storage import RetentionSeries
from civicrecords.environment import parse_utc
from civicrecords.errors import ConfigError

State = Literal["due", "held", "blocked", "retained", "permanent"]


@dataclass(frozen=True)
class ItemRetention:
    """One item under the schedule."""

    item_id: int
    ref: str
    kind: str
    series: str
    start: date | None
    due: date | None
    state: State
    matters: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as YYYY-MM-DD)."""
        return {"ref": self.ref, "kind": self.kind, "series": self.series,
                "start": self.start.isoformat() if self.start else None,
                "due": self.due.isoformat() if self.due else None, "state": self.state,
                "matters": self.matters, "requests": self.requests}


def add_years(day: date, years: int) -> date:
    """``day`` plus whole calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return parse_utc(value).date()
    except ValueError:
        return None


def _series_list(config: Config) -> list[RetentionSeries]:
    if not config.retention.series:
        raise ConfigError("no [[retention.series]] configured; the retention schedule is empty")
    return config.retention.series


def assign(config: Config, row: Mapping[str, Any], tags: list[str]) -> RetentionSeries:
    """The series of an item (``row`` has account, kind, platform): first matching rule,
    else ``default_series``."""
    _series_list(config)
    lowered = {t.lower().lstrip("#") for t in tags}
    for rule in config.retention.rules:
        if rule.account and row["account"] not in rule.account:
            continue
        if rule.kind and row["kind"] not in rule.kind:
            continue
        if rule.platform and row["platform"] not in rule.platform:
            continue
        if rule.tag and not lowered & {t.lower().lstrip("#") for t in rule.tag}:
            continue
        return config.retention.get(rule.series)
    return config.retention.get(config.retention.default_series)


def _thread_activity(catalog: Catalog) -> dict[tuple[str, str, str], str]:
    rows = catalog.execute(
        "SELECT platform, account, coalesce(thread_id, platform_id) AS thread, "
        "max(coalesce(created_at, first_seen)) AS last FROM items GROUP BY 1, 2, 3")
    return {(r["platform"], r["account"], r["thread"]): r["last"] for r in rows}


def _start(series: RetentionSeries, row: Mapping[str, Any],
           threads: dict[tuple[str, str, str], str]) -> date | None:
    if series.trigger == "captured":
        return _day(row["first_seen"])
    if series.trigger == "thread-activity":
        thread = row["thread_id"] or row["platform_id"]
        return _day(threads.get((row["platform"], row["account"], thread))) or _day(
            row["first_seen"])
    return _day(row["created_at"]) or _day(row["first_seen"])


def schedule(catalog: Catalog, config: Config, *, today: date,
             held: Mapping[str, list[str]] | None = None,
             requested: Mapping[str, list[str]] | None = None) -> list[ItemRetention]:
    """Every catalogued item with its series, dates and state on ``today``.

    ``held`` maps item refs to the legal matters holding them, ``requested`` to the open
    requests that include them (both override the schedule).
    """
    held = held or {}
    requested = requested or {}
    threads = _thread_activity(catalog)
    out: list[ItemRetention] = []
    rows = catalog.execute(
        "SELECT i.id, i.platform, i.account, i.platform_id, i.kind, i.thread_id, i.created_at,"
        " i.first_seen, json_extract(v.data, '$.tags') AS tags FROM items i "
        "LEFT JOIN versions v ON v.id = i.latest_version ORDER BY i.id")
    for row in rows:
        tags = json.loads(row["tags"]) if row["tags"] else []
        series = assign(config, row, tags if isinstance(tags, list) else [])
        ref = f"{row['platform']}:{row['account']}:{row['platform_id']}"
        start = _start(series, row, threads)
        due = None if series.permanent or start is None else add_years(start,
                                                                       series.retain_years)
        matters = list(held.get(ref, []))
        requests = list(requested.get(ref, []))
        state: State
        if matters:
            state = "held"
        elif requests:
            state = "blocked"
        elif due is None:
            state = "permanent"
        elif due <= today:
            state = "due"
        else:
            state = "retained"
        out.append(ItemRetention(item_id=row["id"], ref=ref, kind=row["kind"],
                                 series=series.name, start=start, due=due, state=state,
                                 matters=matters, requests=requests))
    return out


def files_by_item(catalog: Catalog) -> dict[int, set[str]]:
    """Catalog item id -> the WARC files holding its metadata, response, request and media
    records."""
    out: dict[int, set[str]] = {}
    queries = (
        "SELECT item_id, warc_file FROM versions",
        "SELECT v.item_id, r.warc_file FROM versions v JOIN records r "
        "ON r.record_id = v.response_record_id",
        "SELECT v.item_id, q.warc_file FROM versions v JOIN records q "
        "ON q.concurrent_to = v.response_record_id",
        "SELECT v.item_id, r.warc_file FROM versions v JOIN records r "
        "ON r.record_id = json_extract(v.data, '$.extra.file.record_id')",
    )
    for sql in queries:
        for row in catalog.execute(sql):
            out.setdefault(row[0], set()).add(row[1])
    return out


def lock_until(config: Config, due: date | None, now: datetime) -> datetime:
    """When an Object Lock for a record due on ``due`` ends (permanent records: now +
    ``permanent_lock_years``). Never earlier than one day from ``now``."""
    floor = now + timedelta(days=1)
    if due is None:
        due = add_years(now.date(), config.storage.permanent_lock_years)
    return max(datetime(due.year, due.month, due.day, tzinfo=UTC), floor)


def lock_dates(catalog: Catalog, config: Config, now: datetime) -> dict[str, tuple[datetime, str]]:
    """WARC file -> (Object Lock end, lock mode): the latest end among the items it holds,
    in the mode of the series that ends last (``[storage] lock_mode`` unless the series
    sets its own). Files holding no catalogued item are absent (callers use
    ``default_lock``)."""
    items = {r.item_id: r for r in schedule(catalog, config, today=now.date())}
    out: dict[str, tuple[datetime, str]] = {}
    for item_id, files in files_by_item(catalog).items():
        entry = items.get(item_id)
        if entry is None:
            continue
        until = lock_until(config, entry.due, now)
        mode = config.retention.get(entry.series).lock_mode or config.storage.lock_mode
        for name in files:
            if name not in out or until > out[name][0]:
                out[name] = (until, mode)
    return out


def default_lock(config: Config, started: datetime, now: datetime) -> tuple[datetime, str]:
    """Lock for a file with no catalogued items: its job's start plus the default series."""
    series = config.retention.get(config.retention.default_series)
    due = None if series.permanent else add_years(started.date(), series.retain_years)
    return lock_until(config, due, now), series.lock_mode or config.storage.lock_mode


def permanent_lock(config: Config, now: datetime) -> tuple[datetime, str]:
    """Lock for manifests and signatures: they prove what existed, so they are kept as long
    as permanent records."""
    return lock_until(config, None, now), config.storage.lock_mode
