"""Archives wired to the sample platform's Facebook Pages and Instagram accounts, for tests."""

from __future__ import annotations

from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.archiver.sample.instagram import ig_user_id
from civicrecords.archiver.sample.meta import APP_SECRET
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.demo import DEMO_TOKEN
from civicrecords.environment import Environment
from tests.conftest import make_env

TOKENS = {"LAKESIDE_FB_TOKEN": DEMO_TOKEN, "MAYOR_FB_TOKEN": f"{DEMO_TOKEN}-mayor",
          "META_APP_SECRET": APP_SECRET}
VERSION = "v21.0"


def meta_env(tmp: Path, **extra: str) -> Environment:
    """An environment holding the sample platform's Page tokens and Meta app secret."""
    return make_env(tmp, **TOKENS, **extra)


def meta_config(base_url: str, *, accounts: tuple[str, ...] = ("facebook", "instagram"),
                app_secret: bool = False, world_city_id: str = "") -> str:
    """``[[accounts]]`` for the city's Page (``lakeside-facebook``), the mayor's Page
    (``mayor-facebook``) and the city's Instagram account (``lakeside-instagram``)."""
    secret = 'app_secret_env = "META_APP_SECRET"\n' if app_secret else ""
    parts = []
    if "facebook" in accounts:
        parts.append(f'[[accounts]]\nname = "lakeside-facebook"\nplatform = "facebook"\n'
                     f'api_base = "{base_url}/{VERSION}"\nhandle = "lakeside"\n'
                     f'token_env = "LAKESIDE_FB_TOKEN"\n{secret}')
    if "mayor" in accounts:
        parts.append(f'[[accounts]]\nname = "mayor-facebook"\nplatform = "facebook"\n'
                     f'api_base = "{base_url}/{VERSION}"\nhandle = "mayor"\n'
                     f'token_env = "MAYOR_FB_TOKEN"\ndesignation = "elected-official"\n{secret}')
    if "instagram" in accounts:
        ident = f'account_id = "{world_city_id}"\n' if world_city_id else 'handle = "lakeside"\n'
        parts.append(f'[[accounts]]\nname = "lakeside-instagram"\nplatform = "instagram"\n'
                     f'api_base = "{base_url}/instagram/{VERSION}"\n{ident}'
                     f'token_env = "LAKESIDE_FB_TOKEN"\n{secret}')
    return "\n".join(parts)


def meta_archive(tmp: Path, platform: SamplePlatform, env: Environment, name: str = "archive",
                 **options: object) -> Archive:
    """A new archive configured with the sample platform's Meta accounts."""
    if options.pop("instagram_by_id", False):
        options["world_city_id"] = ig_user_id(platform.world.city)
    return Archive.create(tmp / name, env, name="City of Lakeside, Minnesota",
                          extra_config=meta_config(platform.base_url, **options))  # type: ignore[arg-type]


def catalog_state(archive: Archive) -> dict[str, tuple[str, int, str, int]]:
    """ref -> (status, version count, latest content hash, hidden)."""
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute(
            "SELECT i.platform || ':' || i.account || ':' || i.platform_id AS ref, i.status, "
            "i.version_count, v.content_hash, i.hidden FROM items i JOIN versions v "
            "ON v.id = i.latest_version").fetchall()
    return {r["ref"]: (r["status"], r["version_count"], r["content_hash"], r["hidden"])
            for r in rows}
