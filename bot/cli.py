"""The `smokejumper` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot import event_loop
from bot.audit.command import add_parser as add_audit
from bot.config import ConfigError, load_settings
from bot.heap import freeze_start_up_heap
from bot.logs import configure as configure_logging
from bot.simulate.command import add_parser as add_simulate
from bot.stats.command import add_parser as add_report
from bot.store.reachable import DatabaseUnreachable, reaching
from bot.store.schema import MigrationFailed


def _serve(args: argparse.Namespace) -> int:
    from bot.app import Smokejumper

    settings = load_settings()
    app = Smokejumper(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await app.start(args.host, args.port)
        freeze_start_up_heap()
        try:
            await stop.wait()
        finally:
            await app.stop()

    with reaching(settings.database_url):
        event_loop.run(run(), settings.event_loop)
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    if args.web:
        from bot.demo.web.run import serve_web

        asyncio.run(serve_web(args.host, args.port, args.database_url))
        return 0
    from bot.sandbox import run_sandbox

    print(asyncio.run(run_sandbox(database_url=args.database_url)))
    return 0


def _db(args: argparse.Namespace) -> int:
    from bot.store import migrate
    from bot.store.database import create_engine

    settings = load_settings()

    async def run() -> str:
        engine = create_engine(settings.database_url, settings.database_schema)
        try:
            if args.db_command == "upgrade":
                await migrate.upgrade(engine, args.revision)
            return f"database at revision {await migrate.current(engine)}"
        finally:
            await engine.dispose()

    with reaching(settings.database_url):
        print(asyncio.run(run()))
    return 0


def _triage(args: argparse.Namespace) -> int:
    import json

    from bot.triage.models import TriageReport, triage_json_schema

    if args.triage_command == "schema":
        schema = triage_json_schema() if args.strict else TriageReport.model_json_schema()
        print(json.dumps(schema, indent=2, sort_keys=True))
    return 0


def _policy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from policies.describe import check_policy_file

    code, text = check_policy_file(Path(args.file))
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _services(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.subjects.backstage import services_from_backstage
    from bot.subjects.services_file import ServicesFileError

    try:
        texts = [(name, Path(name).read_text(encoding="utf-8")) for name in args.files]
        print(services_from_backstage(texts), end="")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"smokejumper services: cannot read: {exc}", file=sys.stderr)
        return 2
    except ServicesFileError as exc:
        print(f"smokejumper services: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smokejumper",
        description="ChatOps incident bot: the AI recommends, the system decides.",
    )
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (sandbox: WARNING)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the bot (Slack, alert intake, health)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104  (a server listens on all)
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(func=_serve)

    sandbox = sub.add_parser(
        "sandbox", help="run the bot against the built-in Slack emulator and print the conversation"
    )
    sandbox.add_argument(
        "--database-url", default=None, help="defaults to a fresh SQLite file in a temporary folder"
    )
    sandbox.add_argument(
        "--web",
        action="store_true",
        help="serve the emulated workspace as a web page to drive by hand, until Ctrl-C",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="with --web: where to listen")
    sandbox.add_argument("--port", type=int, default=8080, help="with --web: the page's port")
    sandbox.set_defaults(func=_sandbox)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    db_sub.add_parser("current", help="show the schema revision")
    db.set_defaults(func=_db)

    triage = sub.add_parser("triage", help="the triage contract")
    triage_sub = triage.add_subparsers(dest="triage_command", required=True)
    schema = triage_sub.add_parser(
        "schema", help="print the JSON schema of TriageReport (the model's output contract)"
    )
    schema.add_argument(
        "--full",
        dest="strict",
        action="store_false",
        help="the full pydantic schema instead of the strict structured-output form",
    )
    triage.set_defaults(func=_triage)

    policy = sub.add_parser("policy", help="the autonomy policy")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True)
    check = policy_sub.add_parser(
        "check", help="validate a policy file and print what it allows, in words"
    )
    check.add_argument("file", help="path to a policy YAML file")
    policy.set_defaults(func=_policy)

    add_simulate(sub)
    add_audit(sub)
    add_report(sub)

    services = sub.add_parser("services", help="the services file")
    services_sub = services.add_subparsers(dest="services_command", required=True)
    backstage = services_sub.add_parser(
        "from-backstage", help="print a services file built from Backstage catalog-info.yaml"
    )
    backstage.add_argument("files", nargs="+", help="catalog-info.yaml files")
    services.set_defaults(func=_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level_name = args.log_level or ("WARNING" if args.command == "sandbox" else "INFO")
    configure_logging(getattr(logging, str(level_name).upper(), logging.INFO))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"smokejumper: configuration error: {exc}", file=sys.stderr)
        return 2
    except (DatabaseUnreachable, MigrationFailed) as exc:
        print(f"smokejumper: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
