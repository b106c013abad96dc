"""Assembly: settings in, one running smokejumper out (HTTP server, Bolt, outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.actions import jobs as action_jobs
from bot.actions.breaker import Breakers
from bot.actions.describe import describe_job
from bot.actions.execute import execute_job
from bot.actions.recovery import report_interrupted
from bot.actions.registry import Adapters
from bot.actions.setup import BuiltAdapters, build_adapters, load_adapters_file
from bot.actions.verify import verify_job
from bot.approvals.expiry import sweep_forever
from bot.capabilities import Capabilities, JobRoute, job_handlers
from bot.config import Settings
from bot.console.commander import SET_TOPIC, set_topic_job
from bot.diagnostics.flows import POST as DIAGNOSTICS_POST
from bot.diagnostics.flows import post_diagnostics_job
from bot.domain.clock import REAL_TIME, Clock, TimeSource
from bot.handoff import setup as handoff_setup
from bot.incidents import flows, jobs
from bot.intake.build import build_pipeline
from bot.intake.rehearsal import rehearsal_deliveries
from bot.metrics.live import LiveMetrics
from bot.metrics.slack import instrument as instrument_slack
from bot.outbox import service as outbox_service
from bot.outbox.service import Job
from bot.outbox.worker import OutboxWorker
from bot.paging import flows as paging_flows
from bot.paging import jobs as paging_jobs
from bot.ports.triage import Triager
from bot.runtime import Runtime
from bot.store import schema
from bot.store.checkpoint import WalCheckpointer
from bot.store.database import create_engine, ping, session_factory, warm_up
from bot.storms import setup as storm_setup
from bot.subjects.setup import subject_rules
from bot.tickets import setup as ticket_setup
from bot.triage import flows as triage_flows
from bot.triage import jobs as triage_jobs
from bot.triage import rerun as triage_rerun
from handlers.http.errors import error_middleware
from handlers.http.health import Readiness
from handlers.http.routes import add_routes
from handlers.http.sources import build_alert_sources
from handlers.slack.register import register_slack
from handlers.slack.socket import PooledSocketMode
from handlers.slack.work import WorkPool
from integrations.llm import LlmConfig, build_summary_writer, build_triager
from integrations.slack.adapter import SlackWorkspace
from integrations.slack.client import build_web_client
from integrations.slack.config import SlackConfig
from integrations.slack.threads import SlackThreads
from policies.policy import load_policy
from policies.runbooks import Runbook, load_runbooks, runbooks_version

log = logging.getLogger(__name__)

# How long stopping waits for Slack requests still being handled after their ack.
SLACK_WORK_GRACE_SECONDS = 10.0
# Longest the intake rehearsal may hold up the start; it takes well under a second.
REHEARSAL_SECONDS = 30.0


def job_routes(threads: SlackThreads) -> tuple[JobRoute, ...]:
    """Every outbox job kind this smokejumper runs, and its flow; the one list."""

    async def post_diagnostics(rt: Runtime, job: Job) -> None:
        await post_diagnostics_job(rt, threads, job)

    return (
        JobRoute(jobs.OPEN_CHANNEL, flows.open_incident_channel),
        JobRoute(jobs.REFRESH_CARD, flows.refresh_card),
        JobRoute(jobs.ANNOUNCE_SIGNAL_RESOLVED, flows.announce_signal_resolved),
        JobRoute(jobs.POST_NOTE, flows.post_note),
        JobRoute(SET_TOPIC, set_topic_job),
        JobRoute(DIAGNOSTICS_POST, post_diagnostics),
        JobRoute(triage_jobs.RUN_TRIAGE, triage_flows.run_triage_job),
        JobRoute(triage_jobs.REFRESH_TRIAGE_CARD, triage_flows.refresh_triage_card),
        JobRoute(triage_rerun.RERUN_TRIAGE, triage_rerun.rerun_triage_job),
        JobRoute(action_jobs.EXECUTE, execute_job),
        JobRoute(action_jobs.DESCRIBE, describe_job),
        JobRoute(action_jobs.VERIFY, verify_job),
        JobRoute(paging_jobs.PAGE, paging_flows.page_job),
        JobRoute(paging_jobs.ACKNOWLEDGE, paging_flows.acknowledge_job),
        JobRoute(paging_jobs.RESOLVE, paging_flows.resolve_job),
        *ticket_setup.JOBS,
        *storm_setup.JOBS,
        *handoff_setup.JOBS,
    )


@dataclass
class Smokejumper:
    """One process: web server, Bolt app, outbox worker; start() then stop()."""

    settings: Settings
    # The one time source, passed down to everything that reads the time or waits.
    time: TimeSource = REAL_TIME
    run_outbox: bool = True
    # The model behind triage; None means the runbook triage does the job.
    triager: Triager | None = None
    # Adapters given directly (tests); otherwise built from SMOKEJUMPER_ADAPTERS_FILE.
    adapters: Adapters | None = None
    # The shipped runbooks given directly (tests parse them once, not once per app).
    runbooks: list[Runbook] | None = None
    readiness: Readiness = field(init=False)
    _built_adapters: BuiltAdapters | None = field(default=None, init=False)
    runtime: Runtime = field(init=False)
    bolt: AsyncApp = field(init=False)
    worker: OutboxWorker = field(init=False)
    web_app: web.Application = field(init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _socket_mode: PooledSocketMode | None = field(default=None, init=False)
    # The work Slack requests start after their ack, a bounded number at a time.
    slack_work: WorkPool = field(init=False)
    port: int = field(default=0, init=False)
    metrics: LiveMetrics = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        settings.require_slack()
        assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
        slack_config = SlackConfig(
            bot_token=settings.slack_bot_token,
            api_url=settings.slack_api_url,
            channel_create_per_minute=settings.slack_channel_create_per_minute,
            messages_per_second_per_channel=settings.slack_messages_per_second_per_channel,
            max_rate_limit_retries=settings.slack_max_rate_limit_retries,
        )
        web_client = build_web_client(slack_config, self.time)
        self.metrics = LiveMetrics()
        instrument_slack(web_client, self.metrics)
        engine = create_engine(settings.database_url, settings.database_schema)
        sessions = session_factory(engine)
        chat = SlackWorkspace(web_client, slack_config, self.time)
        runbooks = list(self.runbooks) if self.runbooks is not None else load_runbooks()
        policy_load = load_policy(settings.policy_file)
        if policy_load.problem is not None:
            log.error(
                "POLICY NOT LOADED, every action needs approval: %s %s",
                policy_load.problem.message,
                policy_load.problem.fix,
            )
        llm_config = LlmConfig(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            budget_tokens=settings.triage_budget_tokens,
        )
        if self.triager is None:
            self.triager = build_triager(llm_config)
        capabilities = Capabilities(
            chat=chat,
            # Given directly (tests), else built from SMOKEJUMPER_ADAPTERS_FILE at start.
            adapters=self.adapters if self.adapters is not None else Adapters(),
            triager=self.triager,
            summary_writer=build_summary_writer(llm_config),
            alert_sources=build_alert_sources(settings),
            jobs=job_routes(SlackThreads(web_client)),
        )
        self.runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=sessions,
            capabilities=capabilities,
            time=self.time,
            runbooks=runbooks,
            runbooks_version=runbooks_version(runbooks),
            policy=policy_load.policy,
            policy_problem=policy_load.problem,
            breakers=Breakers(
                threshold=settings.adapter_breaker_failures,
                cool_down=timedelta(seconds=settings.adapter_breaker_cooldown_seconds),
            ),
        )
        pipeline = build_pipeline(settings, sessions, self.clock, policy_load.policy)
        self.pipeline = pipeline
        self.worker = OutboxWorker(
            sessions,
            job_handlers(self.runtime, capabilities.jobs),
            time=self.time,
            concurrency=settings.outbox_workers,
            poll_seconds=settings.outbox_poll_seconds,
            give_way=pipeline.quiet,
        )
        self.runtime.wake_outbox = self.worker.wake
        self.bolt = AsyncApp(
            client=web_client,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            process_before_response=False,
            # handlers/slack/http.py verifies on the raw bytes, before any parsing, on the
            # app's clock; Bolt's own check parses first and logs refused bodies.
            request_verification_enabled=False,
        )
        self.slack_work = WorkPool(settings.slack_work_concurrency)
        register_slack(self.bolt, self.runtime, self.slack_work)
        readiness = Readiness({"database": lambda: ping(engine), "slack": chat.check_auth})
        readiness.notes["policy"] = {
            "version": policy_load.policy.version,
            "source": policy_load.policy.source,
            **(
                {"problem": policy_load.problem.message, "fix": policy_load.problem.fix}
                if policy_load.problem is not None
                else {}
            ),
        }
        readiness.facts["outbox"] = self._outbox_backlog
        readiness.facts["slack_work"] = self._slack_work_load
        self.readiness = readiness
        self.web_app = web.Application(middlewares=[error_middleware])
        add_routes(
            self.web_app,
            settings=settings,
            sources=capabilities.alert_sources,
            bolt=self.bolt,
            pipeline=pipeline,
            sessions=sessions,
            clock=self.clock,
            readiness=readiness,
            on_accepted=self.worker.wake,
            metrics=self.metrics,
            slack_work=self.slack_work,
        )

    async def _outbox_backlog(self) -> object:
        """For /readyz: how much Slack, pager and ticket work waits (an outage shows here)."""
        async with self.runtime.sessions() as session:
            return await outbox_service.backlog(session, self.time.now())

    async def _slack_work_load(self) -> object:
        """For /readyz: Slack requests being handled after their ack, and waiting."""
        return self.slack_work.load()

    @property
    def clock(self) -> Clock:
        """The time source's wall clock."""
        return self.time.now

    async def _rehearse_intake(self) -> None:
        """Run the alert path once on made-up alerts, rolled back (bot/intake/rehearsal.py)."""
        deliveries = rehearsal_deliveries(
            subject_rules(self.settings), self.settings.group_by, self.clock()
        )
        try:
            await asyncio.wait_for(self.pipeline.rehearse(deliveries), REHEARSAL_SECONDS)
        except Exception as exc:
            # Only a cost to the first alerts: never a reason not to serve them.
            log.warning("intake rehearsal failed (%s); serving anyway", type(exc).__name__)
            self.readiness.notes["intake_rehearsal"] = f"failed ({type(exc).__name__})"
        else:
            self.readiness.notes["intake_rehearsal"] = "done"

    async def start(self, host: str = "127.0.0.1", port: int = 3000) -> None:
        """Migrate, then serve; returns once the port is bound."""
        if self.settings.migrate_on_start:
            await schema.upgrade_at_start(
                self.runtime.engine, self.settings.database_url, self.settings.database_schema
            )
        if self.settings.database_warm_up:
            await warm_up(self.runtime.engine)
            await self._rehearse_intake()
        if self.adapters is None and self.settings.adapters_file is not None:
            config = load_adapters_file(self.settings.adapters_file)
            self._built_adapters = await build_adapters(config, self.time)
            self.runtime.capabilities = replace(
                self.runtime.capabilities, adapters=self._built_adapters.adapters
            )
        probes = await self.runtime.adapters.probe()
        self.readiness.notes["adapters"] = probes
        interrupted = await report_interrupted(self.runtime)
        if interrupted:
            log.warning(
                "%d action(s) were interrupted by a restart; reported, not re-run", interrupted
            )
        # aiohttp's keep-alive timer runs from the moment a connection opens and closes
        # it while no complete request head has arrived: it is the header deadline.
        self._runner = web.AppRunner(
            self.web_app,
            access_log=None,
            keepalive_timeout=self.settings.header_timeout_seconds,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        if self.run_outbox:
            self._tasks.append(asyncio.create_task(self.worker.run_forever()))
            self._tasks.append(asyncio.create_task(sweep_forever(self.runtime, self.time)))
        sqlite_file = self.settings.sqlite_path()
        if sqlite_file is not None:
            self._tasks.append(asyncio.create_task(WalCheckpointer(sqlite_file).run_forever()))
        app_token = self.settings.slack_app_token
        if app_token is not None and app_token.get_secret_value():
            self._socket_mode = PooledSocketMode(
                self.bolt, app_token.get_secret_value(), self.slack_work
            )
            await self._socket_mode.connect_async()  # type: ignore[no-untyped-call]
            log.info("Socket Mode connected")
        log.info("smokejumper listening on http://%s:%s", host, self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self.worker.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._socket_mode is not None:
            await self._socket_mode.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()
        # No request arrives any more; what they started still needs the database.
        await self.slack_work.close(SLACK_WORK_GRACE_SECONDS)
        if self._built_adapters is not None:
            await self._built_adapters.close()
        for closable in (self.runtime.triager, self.runtime.summary_writer):
            close = getattr(closable, "aclose", None)
            if close is not None:
                await close()
        await self.runtime.engine.dispose()
