"""JSON errors for every HTTP failure; no stack trace ever reaches a client."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.domain.errors import IntakeError

log = logging.getLogger(__name__)


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def close_after(request: web.Request, response: web.Response) -> None:
    """Send `response`, then close the connection at once.

    aiohttp would otherwise linger up to ten seconds reading the rest of a body nobody
    wants, which is exactly what a stalled client would like it to do.
    """
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    if request.protocol is not None:
        # The transport flushes what was written before it closes.
        request.protocol.force_close()


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except IntakeError as exc:
        response = web.json_response(exc.as_json(), status=exc.status, headers=exc.headers)
        if exc.close_connection:
            await close_after(request, response)
        return response
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return json_error(exc.status, code, f"{exc.reason}: {request.method} {request.path}")
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unhandled error on %s %s (ref %s)", request.method, request.path, ref)
        return json_error(500, "internal_error", f"something went wrong on our side (ref {ref})")
