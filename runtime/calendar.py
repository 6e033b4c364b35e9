"""The reps' calendar feeds over HTTP: `GET /calendar/<token>.ics` (and HEAD), on the webhook's server in
webhook mode, or on a server of their own on LISTEN:CALENDAR_PORT in long polling.

A token is looked up by its SHA-256 and the stored hash compared with the presented one in constant time;
anything else (a malformed, unknown, replaced or turned-off token) is a bare 404, the same for each, and
nothing is logged about it: the path holds the token, so no access log is kept (the runners are made with
`access_log=None`, and the log's redaction blanks such a path wherever a library might print one).

The body is rendered from the database on each request, its hash is the ETag, and Last-Modified is when
the feed last changed (recorded the first time a request finds it changed), so a calendar app polling
with If-None-Match or If-Modified-Since gets a 304 while nothing changed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Final

from aiohttp import web

from bot.calendar import (
    FEED_PREFIX,
    content_hash,
    feed_ics,
    hash_matches,
    token_from_path,
    token_hash,
    uid_domain,
)
from bot.config import Settings
from runtime.application import BotApplication

log = logging.getLogger(__name__)

FEED_ROUTE: Final = FEED_PREFIX + "{feed}"
CONTENT_TYPE: Final = "text/calendar"
# Private: a shared cache must not keep it; revalidated (cheaply, by its ETag) on every poll.
CACHE_CONTROL: Final = "private, no-cache"
# The ETag: this many hex digits of the content's SHA-256 (128 bits).
ETAG_DIGITS: Final = 32


def add_calendar_routes(app: web.Application, application: BotApplication) -> None:
    """GET and HEAD /calendar/<token>.ics on this web server."""

    async def serve_feed(request: web.Request) -> web.StreamResponse:
        """One rep's feed, or 304 when the caller has it already; 404 for any token that is not a feed's."""
        try:
            return await _feed_response(application, request)
        except Exception as error:
            # Only the kind of failure: the request's path holds the token.
            log.warning("a calendar feed could not be served (%s)", type(error).__name__)
            return web.Response(status=503, headers={"Retry-After": "60"})

    app.router.add_get(FEED_ROUTE, serve_feed)


async def _feed_response(application: BotApplication, request: web.Request) -> web.StreamResponse:
    data = application.bot_data
    settings, repositories = data.settings, data.repositories
    token = token_from_path(FEED_PREFIX + request.match_info["feed"])
    if token is None:
        return web.Response(status=404)
    if repositories is None or settings is None or settings.calendar_base_url is None:
        return web.Response(status=503, headers={"Retry-After": "60"})
    found = await repositories.database.run(repositories.calendar.feed, token_hash=token_hash(token))
    if found is None or not hash_matches(token, found.token_hash):
        return web.Response(status=404)
    domain = uid_domain(settings.calendar_base_url)
    loop = asyncio.get_running_loop()
    # Rendering a big book's calendar takes a while: off the event loop, as the queries are.
    digest = await loop.run_in_executor(None, lambda: content_hash(found.content, domain=domain))
    changed_at = found.changed_at
    if found.content_hash != digest or changed_at is None:
        changed_at = await repositories.database.run(
            repositories.calendar.record_content,
            rep_id=found.rep_id,
            token_hash=found.token_hash,
            content_hash=digest,
        )
        if changed_at is None:  # a new address was made, or the calendar turned off, meanwhile
            return web.Response(status=404)
    etag = digest[:ETAG_DIGITS]
    response: web.StreamResponse
    if _not_modified(request, etag, changed_at):
        response = web.Response(status=304)
    else:
        stamp = changed_at
        body = await loop.run_in_executor(None, lambda: feed_ics(found.content, domain=domain, stamp=stamp))
        response = web.Response(body=body, content_type=CONTENT_TYPE, charset="utf-8")
    response.etag = etag
    response.last_modified = changed_at
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _not_modified(request: web.Request, etag: str, changed_at: datetime) -> bool:
    """RFC 9110: If-None-Match decides when it is sent (weakly compared, `*` matching any), else
    If-Modified-Since, to the second that Last-Modified carries."""
    wanted = request.if_none_match
    if wanted is not None:
        return any(tag.value in (etag, "*") for tag in wanted)
    since = request.if_modified_since
    return since is not None and changed_at.replace(microsecond=0) <= since


async def start_calendar_server(application: BotApplication, settings: Settings) -> web.AppRunner:
    """Long polling's web server, for the calendar feeds alone, on LISTEN:CALENDAR_PORT."""
    assert settings.calendar_port is not None
    app = web.Application()
    add_calendar_routes(app, application)
    runner = web.AppRunner(app, access_log=None)  # the path of each request holds a token
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.listen, settings.calendar_port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("calendar feeds served on %s:%s", settings.listen, runner.addresses[0][1])
    return runner
