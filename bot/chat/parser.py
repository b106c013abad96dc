"""The deterministic intent parser: plain incident-channel phrasings to an intent.

Used when no model is configured, when the model fails, and to check what a model
claims. Requests are recognised only by a leading verb (after "can we", "please", …), so
a remark such as "it crashed again after the restart" is never taken for an order.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.chat.intents import Intent, Parsed

_MENTION = re.compile(r"<[@!#][^>]*>|@smokejumper\b", re.IGNORECASE)
_INCIDENT_REF = re.compile(r"(?:\bincident\s*#?|\binc\s*#?|(?<![\w-])#)(\d{1,9})\b", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_POLITE = re.compile(
    r"^(?:(?:hey|ok|okay|so|pls|please|plz|go ahead and|can we|can you|could we|could you|"
    r"would you|will you|let'?s|we should|i want to|we need to|need to|i'd like to|"
    r"time to|just|maybe|mind|you can)\s+)+"
)
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|who|who's|whos|when|where|why|how|did|does|do(?! an? )|was|were|is|are|"
    r"has|have|any|anything|which)\b"
)
_INFO_START = re.compile(
    r"^(?:show|give|tell|list|summari[sz]e|catch|recap|sitrep|status|timeline|help|"
    r"diagnostics|runbook|changes|explain|remind|update)\b"
)

# Leading verbs of requests, tried in order; the first that matches decides.
_REQUESTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.FREEZE, re.compile(r"^(?:freeze|stop (?:doing|acting|auto)|pause|hold off)\b")),
    (
        Intent.ENABLE_FLAG,
        re.compile(r"^(?:re-?enable|enable|turn on|switch on|flip on)\b.*\b(?:flag|toggle)\b"),
    ),
    (
        Intent.DISABLE_FLAG,
        re.compile(
            r"^(?:disable|turn off|switch off|flip off|kill|shut off)\b.*\b(?:flag|toggle)\b"
        ),
    ),
    (Intent.ROLLBACK, re.compile(r"^(?:roll ?back|revert|undo)\b")),
    (Intent.SCALE, re.compile(r"^(?:scale\b|add\b.*\b(?:replicas?|pods?|instances?)\b)")),
    (
        Intent.RESTART,
        re.compile(r"^(?:restart|bounce|kick|recycle|cycle|do a (?:rolling )?restart|rolling)\b"),
    ),
    (
        Intent.PAGE,
        re.compile(r"^(?:page|escalate|wake|call in|get (?:someone|somebody|the \S+ team))\b"),
    ),
    (
        Intent.TICKET,
        re.compile(r"^(?:open|create|file|raise|cut|make|log)\b.*\b(?:ticket|incident record)\b"),
    ),
    (
        Intent.COLLECT_DIAGNOSTICS,
        re.compile(r"^(?:grab|collect|capture|gather|dump|snapshot|pull)\b"),
    ),
    (
        Intent.UNSUPPORTED,
        re.compile(
            r"^(?:delete|drop|truncate|ssh|fail ?over|reboot|drain|cordon|wipe|purge|rm|"
            r"shut ?down|terminate|exec|patch|increase|decrease|bump|set|change|run|kill|"
            r"remove|migrate|move|promote|flush|clear|resize|deploy|ship|push|edit|update the|"
            r"upgrade|downgrade|block|unblock|reset|rotate)\b"
        ),
    ),
)

# Questions, tried in order on questions and on short or "show me" messages.
_QUESTIONS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.HELP, re.compile(r"^(?:help|\?)$|what can you do|how do i use|\bcommands\b")),
    (
        Intent.HYPOTHESIS,
        re.compile(
            r"theory|hypothes|root cause|\bcause\b|why do you think|evidence|"
            r"what(?:'s| is) (?:causing|wrong|going on)|\bwhy\b"
        ),
    ),
    (
        Intent.SIMILAR,
        re.compile(
            r"seen (?:this|it) before|similar|happen(?:ed)? (?:before|last)|"
            r"last (?:week|time|month)|(?:previous|past|earlier) incidents|before\?$|same thing"
        ),
    ),
    (Intent.RUNBOOK, re.compile(r"runbook|playbook|\bsop\b|procedure")),
    (
        Intent.ONCALL,
        re.compile(r"on[- ]?call|who should i (?:ping|page|call|talk)|who do i (?:ping|call)"),
    ),
    (
        Intent.ACTIONS,
        re.compile(
            r"\btried\b|did the \S+ work|\bapproved\b|actions?\b|what (?:ran|did you do)|"
            r"\boutcome\b|mitigat|did (?:it|that) (?:help|work)"
        ),
    ),
    (
        Intent.DIAGNOSTICS,
        re.compile(r"diagnostic|\blogs?\b|collect|what did you (?:find|gather)|pod state"),
    ),
    (
        Intent.CHANGES,
        re.compile(
            r"chang|deploy|\bship|release|rollout|flag flip|\bflag\b|config|\bpushed\b|merged"
        ),
    ),
    (
        Intent.TIMELINE,
        re.compile(
            r"timeline|what happened|catch me up|so far|when did (?:this|it) start|history|"
            r"recap|summary|summari[sz]e"
        ),
    ),
    (
        Intent.STATUS,
        re.compile(
            r"status|where are we|who owns|\bowner\b|still (?:firing|open|happening|broken)|"
            r"\bic\b|sitrep|severity|\bupdate\b|how (?:bad|are we)"
        ),
    ),
)

# Words after a verb that name no particular thing ("restart the pods", "scale up").
_GENERIC_OBJECTS = frozenset(
    {
        "it",
        "this",
        "that",
        "the",
        "a",
        "an",
        "them",
        "pods",
        "pod",
        "deployment",
        "service",
        "app",
        "everything",
        "all",
        "rolling",
        "up",
        "last",
        "previous",
        "latest",
        "recent",
        "diagnostics",
        "logs",
        "events",
        "state",
        "more",
        "back",
        "please",
        "pls",
        "now",
        "again",
        "one",
        "restart",
        "deploy",
        "release",
        "rollout",
        "to",
        "by",
        "it's",
    }
)
# Requests that act on a workload: the thing named must be this incident's subject.
_TARGETED = frozenset({Intent.RESTART, Intent.ROLLBACK, Intent.SCALE, Intent.COLLECT_DIAGNOSTICS})
_OBJECT = re.compile(
    r"^(?:\S+ ?(?:back|up|out)?|do an? (?:rolling )?restart(?: of)?)"
    r" (?:the |a |an )?([a-z][a-z0-9_.-]*)"
)

_NOT_TEAMS = frozenset(
    {"them", "someone", "somebody", "on-call", "oncall", "it", "me", "us", "whoever", "the", "a"}
)
_NOT_FLAGS = frozenset({"the", "a", "feature", "flag", "toggle", "off", "on", "please", "pls"})


def normalize(text: str) -> str:
    """Lowercase, mentions and incident references removed, whitespace folded."""
    text = _MENTION.sub(" ", text)
    text = _INCIDENT_REF.sub(" ", text)
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[,;:!]+", " ", text)
    return " ".join(text.split()).strip(" .")


def incident_reference(text: str) -> str | None:
    """The incident number a message names ("incident 12", "#12"), if any."""
    match = _INCIDENT_REF.search(_MENTION.sub(" ", text))
    return match.group(1) if match else None


def parse(text: str, known_services: Collection[str] = ()) -> Parsed:
    """The intent and entities of one message; UNKNOWN when nothing fits."""
    clean = normalize(text)
    entities: dict[str, str] = {}
    reference = incident_reference(text)
    if reference is not None:
        entities["incident"] = reference
    intent = _classify(clean)
    entities.update(_entities(intent, clean, {s.lower() for s in known_services}))
    return Parsed(intent, entities)


def _classify(clean: str) -> Intent:
    question = bool(_QUESTION_START.match(clean))
    if question:
        return _first(_QUESTIONS, clean) or Intent.UNKNOWN
    stripped = _POLITE.sub("", clean)
    for intent, pattern in _REQUESTS:
        if pattern.search(stripped):
            return intent
    if clean.endswith("?") or _INFO_START.match(stripped) or len(clean.split()) <= 3:
        return _first(_QUESTIONS, clean) or Intent.UNKNOWN
    return Intent.UNKNOWN


def _first(rules: tuple[tuple[Intent, re.Pattern[str]], ...], text: str) -> Intent | None:
    for intent, pattern in rules:
        if pattern.search(text):
            return intent
    return None


def _entities(intent: Intent, clean: str, known: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    tokens = _TOKEN.findall(clean)
    if intent not in (Intent.PAGE, Intent.DISABLE_FLAG, Intent.ENABLE_FLAG):
        service = next((t for t in tokens if t in known), None)
        if service is not None:
            found["service"] = service
        elif intent in _TARGETED:
            # "restart payments" where payments is nothing we know: never a silent default.
            obj = _OBJECT.match(_POLITE.sub("", clean))
            if obj and obj.group(1) not in _GENERIC_OBJECTS:
                found["named"] = obj.group(1)
    if intent is Intent.ROLLBACK:
        revision = re.search(r"\bto (?:revision |version |rev )?(v?\d[\w.-]*)", clean)
        if revision:
            found["revision"] = revision.group(1).rstrip(".")
    if intent is Intent.SCALE:
        delta = re.search(
            r"\bby \+?(\d{1,3})\b|\badd (\d{1,3})\b|\b(\d{1,3}) more\b|\+(\d{1,3})", clean
        )
        if delta:
            found["replicas_delta"] = next(g for g in delta.groups() if g)
    if intent in (Intent.DISABLE_FLAG, Intent.ENABLE_FLAG):
        flag = _flag(clean)
        if flag:
            found["flag"] = flag
    if intent is Intent.PAGE:
        team = _team(clean)
        if team:
            found["team"] = team
    if intent is Intent.TICKET:
        priority = re.search(r"\bp([1-4])\b", clean)
        if priority:
            found["priority"] = f"P{priority.group(1)}"
    if intent is Intent.FREEZE:
        minutes = duration_minutes(clean)
        if minutes is not None:
            found["duration_minutes"] = str(minutes)
    return found


def _flag(clean: str) -> str | None:
    after = re.search(r"\b(?:flag|toggle) ([a-z0-9][a-z0-9_.-]*)", clean)
    if after and after.group(1) not in _NOT_FLAGS:
        return after.group(1)
    before = re.search(r"([a-z0-9][a-z0-9_.-]*) (?:feature )?(?:flag|toggle)\b", clean)
    if before and before.group(1) not in _NOT_FLAGS:
        return before.group(1)
    return None


def _team(clean: str) -> str | None:
    for pattern in (
        r"\bpage (?:the )?([a-z0-9][a-z0-9_-]*)(?: team)?\b",
        r"\bfrom (?:the )?([a-z0-9][a-z0-9_-]*)\b",
        r"\bget (?:the )?([a-z0-9][a-z0-9_-]*) team\b",
        r"\bescalate to (?:the )?([a-z0-9][a-z0-9_-]*)\b",
    ):
        match = re.search(pattern, clean)
        if match and match.group(1) not in _NOT_TEAMS:
            return match.group(1)
    return None


def duration_minutes(clean: str) -> int | None:
    """Minutes named in a message ("30m", "2 hours", "an hour"), if any."""
    if re.search(r"\bhalf an hour\b", clean):
        return 30
    if re.search(r"\b(?:an|one) hour\b", clean):
        return 60
    match = re.search(r"\b(\d{1,4}) ?(m|min|mins|minutes?|h|hr|hrs|hours?)\b", clean)
    if match is None:
        return None
    number = int(match.group(1))
    return number * 60 if match.group(2).startswith("h") else number
