"""The standard intake pipeline, assembled from its stages."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.clock import Clock
from bot.intake.budget import AlertBudget
from bot.intake.commit import GroupCommit
from bot.intake.known_bodies import KnownBodies
from bot.intake.pipeline import Pipeline
from bot.intake.seen import CommittedOccurrences
from bot.intake.stages.admit import Admit
from bot.intake.stages.decode import Decode
from bot.intake.stages.echo import AttachEchoes
from bot.intake.stages.group import Group
from bot.intake.stages.incident import OpenOrUpdateIncident
from bot.intake.stages.normalize import Normalize
from bot.intake.stages.parse import Parse
from bot.intake.stages.persist import Persist
from bot.intake.stages.verify import Verify
from bot.store.database import SessionFactory
from bot.subjects.setup import subject_rules
from policies.policy import Policy


def build_pipeline(
    settings: Settings, sessions: SessionFactory, clock: Clock, policy: Policy | None = None
) -> Pipeline:
    """verify → decode (parse, normalize) → admit → persist → echo → group → incident."""
    # SQLite has one connection: a second writer would only queue for it.
    sqlite = settings.database_url.startswith("sqlite")
    budget = AlertBudget(settings.max_alerts_per_request, settings.max_alerts_per_minute)
    return Pipeline(
        request_stages=[
            Verify(),
            Decode(
                Parse(),
                Normalize(subject_rules(settings), settings.group_by),
                KnownBodies(settings.intake_known_bodies_bytes),
            ),
            Admit(budget),
        ],
        database=GroupCommit(
            sessions,
            [Persist(), AttachEchoes(), Group(policy), OpenOrUpdateIncident(clock)],
            max_batch=settings.intake_batch_max,
            writers=1 if sqlite else settings.intake_batch_writers,
        ),
        seen=CommittedOccurrences(settings.intake_seen_capacity),
    )
