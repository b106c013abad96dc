"""Chat intent benchmark: accuracy of the deterministic parser and of a model's tool calls.

Scores the labelled responder messages in tests/fixtures/chat/ (and the hold-out set,
labelled after the parser was written). With --model, a tool-using model reads each
message: the local OpenAI-compatible server from tests/support (default) or any server
named by OPENAI_BASE_URL, OPENAI_API_KEY and SMOKEJUMPER_LLM_MODEL.

    .venv/bin/python bench/chat_bench.py [--no-model] [--show-misses]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from bot.chat.evaluation import EVAL_SERVICES, Score, load_cases, score
from bot.chat.intents import Intent, Parsed
from bot.chat.parser import parse

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "chat"
SETS = ("responder_messages.jsonl", "responder_messages_holdout.jsonl")

Reader = Callable[[str], Awaitable[Parsed]]


async def parser_reader(text: str) -> Parsed:
    return parse(text, EVAL_SERVICES)


def report(name: str, label: str, result: Score, seconds: float, misses: bool) -> None:
    print(
        f"{name:<38} {label:<8} n={result.total:<3} intent {result.intent_accuracy:6.1%}"
        f"  intent+entities {result.entity_accuracy:6.1%}"
        f"  {seconds * 1000 / max(result.total, 1):7.1f} ms/msg"
    )
    if misses:
        for case, parsed in result.misses:
            print(
                f"    {case.text!r}: want {case.intent.value} {case.entities},"
                f" got {parsed.intent.value} {dict(parsed.entities)}"
            )


async def run(readers: dict[str, Reader], misses: bool) -> None:
    for name in SETS:
        cases = load_cases(FIXTURES / name)
        for label, reader in readers.items():
            started = time.perf_counter()
            result = await score(cases, reader)
            report(name, label, result, time.perf_counter() - started, misses)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-model", action="store_true", help="score the parser only")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    readers: dict[str, Reader] = {"parser": parser_reader}
    if args.no_model:
        await run(readers, args.show_misses)
        return 0
    async with model_reader() as (label, reader):
        readers[label] = reader
        await run(readers, args.show_misses)
    return 0


@contextlib.asynccontextmanager
async def model_reader() -> AsyncIterator[tuple[str, Reader]]:
    """The configured model, or the local OpenAI-compatible server, driving tool calls."""
    from pydantic import SecretStr

    from bot.chat.conversation import MAX_SECONDS, MAX_STEPS, TOKENS_PER_CONVERSATION
    from bot.chat.ports import ModelBudget
    from integrations.llm.chat import OpenAIChatReader
    from integrations.llm.config import LlmConfig, from_env

    config = from_env(os.environ)
    server = None
    if not config.configured:
        from tests.support.openai_server import OpenAIServer

        server = OpenAIServer(api_key="sk-bench-local", models=("local-tools",))
        await server.start()
        config = LlmConfig(
            api_key=SecretStr("sk-bench-local"), base_url=server.base_url, model="local-tools"
        )
    chat = OpenAIChatReader(config)
    budget = ModelBudget(MAX_STEPS, TOKENS_PER_CONVERSATION, MAX_SECONDS, time.monotonic)

    async def tool(parsed: Parsed) -> str:
        return f"(the record's answer on {parsed.intent.value})"

    async def read(text: str) -> Parsed:
        reading = await chat.read(text, tool, budget)
        return reading.parsed or Parsed(Intent.UNKNOWN)

    label = "local" if server is not None else "model"
    try:
        yield label, read
    finally:
        if server is not None:
            await server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(asyncio.run(main()))
