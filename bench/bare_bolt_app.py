"""A bare Bolt AsyncApp on aiohttp: `/incident` acks and responds, nothing else.

The yardstick for smokejumper's acks in bench/side_by_side_bench.py: the same framework,
the same signed requests, no database and no flows.

    .venv/bin/python bench/bare_bolt_app.py --port P --api-url URL
"""

from __future__ import annotations

import argparse
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient


def build_app(token: str, signing_secret: str, api_url: str) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
    )

    @app.command("/incident")  # type: ignore[untyped-decorator]
    async def incident(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await respond(text=f"status: {command.get('text', '')}", response_type="ephemeral")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default="xoxb-bench")
    parser.add_argument("--signing-secret", default="bench-secret")
    args = parser.parse_args()
    app = build_app(args.token, args.signing_secret, args.api_url)
    app.start(port=args.port, path="/slack/events", host="127.0.0.1")


if __name__ == "__main__":
    main()
