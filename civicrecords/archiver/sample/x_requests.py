"""Parameters, errors and expansions of X API v2 requests, for the sample renderer.

``Fields`` reads and checks ``tweet.fields``/``user.fields``/``media.fields``/``poll.fields``/
``place.fields``/``dm_event.fields``/``expansions``; ``tweets_body`` builds a response's
``data``/``includes``/``errors`` the way X does (expansions resolved, missing references as
``errors[]`` entries); the error builders return X's problem bodies (``invalid-request``,
``client-forbidden``, ``resource-not-found``...); ``parse_query`` reads the
``conversation_id:`` searches the sample supports. Handlers raise ``XProblem`` to answer with
an error from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from civicrecords.archiver.sample import x_entities as ent
from civicrecords.archiver.sample.model import Item
from civicrecords.archiver.sample.routing import Request, Response

PROBLEM: Final = "https://api.twitter.com/2/problems/"
TWEET_FIELDS: Final = frozenset({
    "article", "attachments", "author_id", "card_uri", "community_id", "context_annotations",
    "conversation_id", "created_at", "display_text_range", "edit_controls",
    "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
    "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics",
    "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets",
    "reply_settings", "scopes", "source", "text", "withheld"})
USER_FIELDS: Final = frozenset({
    "affiliation", "connection_status", "created_at", "description", "entities", "id",
    "location", "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url",
    "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscription_type",
    "url", "username", "verified", "verified_type", "withheld"})
MEDIA_FIELDS: Final = frozenset({
    "alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics",
    "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants",
    "width"})
POLL_FIELDS: Final = frozenset({"duration_minutes", "end_datetime", "id", "options",
                                "voting_status"})
PLACE_FIELDS: Final = frozenset({"contained_within", "country", "country_code", "full_name",
                                 "geo", "id", "name", "place_type"})
DM_FIELDS: Final = frozenset({"attachments", "created_at", "dm_conversation_id", "entities",
                              "event_type", "id", "participant_ids", "referenced_tweets",
                              "sender_id", "text"})
TWEET_EXPANSIONS: Final = frozenset({
    "attachments.media_keys", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
    "entities.mentions.username", "geo.place_id", "in_reply_to_user_id",
    "referenced_tweets.id", "referenced_tweets.id.author_id"})
DM_EXPANSIONS: Final = frozenset({"attachments.media_keys", "participant_ids",
                                  "referenced_tweets.id", "sender_id"})
FIELD_PARAMS: Final = {"tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS,
                       "media.fields": MEDIA_FIELDS, "poll.fields": POLL_FIELDS,
                       "place.fields": PLACE_FIELDS, "dm_event.fields": DM_FIELDS}
TWEET_PARAMS: Final = ("tweet.fields", "user.fields", "media.fields", "poll.fields",
                       "place.fields", "expansions")
SEARCH_OPERATORS: Final = ("conversation_id:", "from:", "to:", "is:reply", "-is:retweet",
                            "-is:reply")


class XProblem(Exception):
    """An error answer, raised from deep inside a handler."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def problem(status: int, title: str, detail: str, kind: str = "about:blank",
            **extra: Any) -> Response:
    """X's problem-details error body."""
    body: dict[str, Any] = {"title": title, "detail": detail,
                            "type": kind if kind == "about:blank" else PROBLEM + kind,
                            **extra}
    if kind == "about:blank" or status in (401, 403, 429):
        body["status"] = status
    return Response.json(body, status)


def invalid(parameter: str, value: str, message: str) -> Response:
    """X's 400 ``invalid-request`` problem naming one parameter."""
    return Response.json({"errors": [{"parameters": {parameter: [value]}, "message": message}],
                          "title": "Invalid Request",
                          "detail": "One or more parameters to your request was invalid.",
                          "type": PROBLEM + "invalid-request"}, 400)


def not_enrolled() -> Response:
    """The 403 X sends when the app's access level does not include an endpoint."""
    return Response.json({
        "client_id": "29104517",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
                  "keys and tokens from a Twitter developer App that is attached to a Project. "
                  "You can create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled", "type": PROBLEM + "client-forbidden"}, 403)


class Fields:
    """The fields and expansions one request asked for."""

    def __init__(self, req: Request, allowed: Iterable[str]) -> None:
        self.sets: dict[str, set[str]] = {}
        for name in allowed:
            raw = req.arg(name)
            values = {v for v in (raw or "").split(",") if v}
            known = FIELD_PARAMS.get(name) or (DM_EXPANSIONS if "dm_event.fields" in allowed
                                               else TWEET_EXPANSIONS)
            unknown = sorted(values - known)
            if unknown:
                raise XProblem(invalid(name, unknown[0],
                                       f"The `{name}` query parameter value [{unknown[0]}] "
                                       f"is not one of [{','.join(sorted(known))}]"))
            self.sets[name] = values

    def __getitem__(self, name: str) -> set[str]:
        return self.sets.get(name, set())




def check_params(req: Request, allowed: Iterable[str]) -> None:
    """Raise X's 400 for a query parameter the endpoint does not take."""
    known = set(allowed)
    for name in sorted(req.query):
        if name not in known:
            raise XProblem(invalid(name, req.query[name][0] if req.query[name] else "",
                                   f"The query parameter [{name}] is not one of "
                                   f"[{','.join(sorted(known))}]"))

def count_param(req: Request, low: int, high: int, default: int) -> int:
    """``max_results`` checked against the endpoint's bounds."""
    raw = req.arg("max_results")
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise XProblem(invalid("max_results", raw,
                               f"The `max_results` query parameter value [{raw}] is not "
                               f"between {low} and {high}"))
    return int(raw)


def base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if not value:
            return out


def ids_param(req: Request, name: str) -> list[str]:
    raw = req.arg(name) or ""
    ids = [v for v in raw.split(",") if v]
    if not ids or len(ids) > 100 or not all(v.isdigit() and len(v) <= 19 for v in ids):
        raise XProblem(invalid(name, raw, f"The `{name}` query parameter value [{raw}] must "
                                          "be 1 to 100 comma-separated numeric ids"))
    return ids


def missing_error(value: str, parameter: str, private: bool,
                  resource: str = "tweet") -> dict[str, Any]:
    """The ``errors[]`` entry for a tweet (or user) that is gone, or hidden from the
    caller when ``private``."""
    if private:
        return {"value": value, "detail": f"Sorry, you are not authorized to see the Tweet "
                f"with {parameter}: [{value}].", "title": "Authorization Error",
                "resource_type": resource, "parameter": parameter, "resource_id": value,
                "type": PROBLEM + "not-authorized-for-resource"}
    return {"value": value, "detail": f"Could not find {resource} with {parameter}: "
            f"[{value}].", "title": "Not Found Error", "resource_type": resource,
            "parameter": parameter, "resource_id": value, "type": PROBLEM + "resource-not-found"}


def parse_query(query: str) -> list[dict[str, Any]]:
    """``conversation_id:N [operators]`` clauses joined by OR; 400 for anything else."""
    text = query.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    clauses = []
    for part in text.split(" OR "):
        clause: dict[str, Any] = {"terms": []}
        for term in part.strip().strip("()").split():
            if term.startswith("conversation_id:") and term[16:].isdigit():
                clause["conversation_id"] = term[16:]
            elif term.startswith(SEARCH_OPERATORS):
                clause["terms"].append(term)
            else:
                raise XProblem(invalid("query", query, f"There were errors processing your "
                                       f"request: the sample platform does not support "
                                       f"[{term}] (supported: conversation_id:, from:, to:, "
                                       "is:reply, -is:reply, -is:retweet)"))
        if "conversation_id" not in clause:
            raise XProblem(invalid("query", query, "There were errors processing your "
                                   "request: every clause needs a conversation_id: term"))
        clauses.append(clause)
    return clauses


def clause_accepts(clause: dict[str, Any], tweet: dict[str, Any], item: Item,
                    r: ent.XRender) -> bool:
    for term in clause["terms"]:
        if term.startswith("from:") and r.username(item.account).lower() != term[5:].lower():
            return False
        if term.startswith("to:"):
            parent = r.parent(item)
            if parent is None or r.username(parent.account).lower() != term[3:].lower():
                return False
        if term == "is:reply" and "in_reply_to_user_id" not in tweet:
            return False
        if term == "-is:reply" and "in_reply_to_user_id" in tweet:
            return False
        if term == "-is:retweet" and item.kind == "reblog":
            return False
    return True


def tweets_body(r: ent.XRender, tweets: list[tuple[Item, int]],
                 fields: Fields, errors: list[dict[str, Any]] | None = None,
                 single: bool = False) -> dict[str, Any]:
    full = [ent.tweet_json(r, item, index) for item, index in tweets]
    data = [ent.select(tweet, ent.TWEET_DEFAULTS, fields["tweet.fields"])
            for tweet in full]
    body: dict[str, Any] = {}
    if data or not errors:
        body["data"] = data[0] if single and data else data
    includes, include_errors = _includes(r, full, fields)
    if includes:
        body["includes"] = includes
    all_errors = [*(errors or []), *include_errors]
    if all_errors:
        body["errors"] = all_errors
    return body

def _includes(r: ent.XRender, tweets: list[dict[str, Any]], fields: Fields
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wanted = fields["expansions"]
    world = r.world
    users: dict[str, dict[str, Any]] = {}
    extra: dict[str, dict[str, Any]] = {}
    media: dict[str, dict[str, Any]] = {}
    polls: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []

    def add_user(user_id: str | None) -> None:
        account = world.account_by_id(user_id) if user_id else None
        if account is not None and user_id not in users:
            users[user_id or ""] = ent.select(ent.user_json(r, account), ent.USER_DEFAULTS,
                                              fields["user.fields"])

    def add_tweet(tweet_id: str, parameter: str) -> dict[str, Any] | None:
        found = world.revision_of(tweet_id, r.state)
        if found is None or not ent.on_x(found[0]):
            errors.append(missing_error(tweet_id, parameter, found is not None))
            return None
        full = ent.tweet_json(r, found[0], found[1])
        extra.setdefault(tweet_id, ent.select(full, ent.TWEET_DEFAULTS,
                                              fields["tweet.fields"]))
        return full

    for tweet in tweets:
        if "author_id" in wanted:
            add_user(tweet["author_id"])
        if "in_reply_to_user_id" in wanted:
            add_user(tweet.get("in_reply_to_user_id"))
        if "entities.mentions.username" in wanted:
            for mention in tweet.get("entities", {}).get("mentions", []):
                add_user(mention["id"])
        if "referenced_tweets.id" in wanted:
            for ref in tweet.get("referenced_tweets", []):
                found = add_tweet(ref["id"], "referenced_tweets.id")
                if found is not None and "referenced_tweets.id.author_id" in wanted:
                    add_user(found["author_id"])
        if "edit_history_tweet_ids" in wanted and len(tweet["edit_history_tweet_ids"]) > 1:
            for version_id in tweet["edit_history_tweet_ids"]:
                add_tweet(version_id, "edit_history_tweet_ids")
        attachments = tweet.get("attachments", {})
        if "attachments.media_keys" in wanted:
            _add_media(r, tweet, attachments.get("media_keys", []), media, fields)
        if "attachments.poll_ids" in wanted and attachments.get("poll_ids"):
            found = world.revision_of(tweet["edit_history_tweet_ids"][0], r.state)
            poll = ent.poll_json(r, found[0]) if found else None
            if poll is not None:
                polls[poll["id"]] = ent.select(poll, ent.POLL_DEFAULTS,
                                               fields["poll.fields"])
    includes: dict[str, Any] = {}
    for name, values in (("media", media), ("users", users), ("tweets", extra),
                         ("polls", polls)):
        if values:
            includes[name] = list(values.values())
    return includes, errors

def _add_media(r: ent.XRender, tweet: dict[str, Any], keys: list[str],
               media: dict[str, dict[str, Any]], fields: Fields) -> None:
    found = r.world.revision_of(tweet["id"], r.state)
    if found is None:
        return
    item, index = found
    for m in item.versions[index].media:
        obj = ent.media_json(r, m)
        if obj is not None and obj["media_key"] in keys:
            media.setdefault(obj["media_key"], ent.select(obj, ent.MEDIA_DEFAULTS,
                                                          fields["media.fields"]))
