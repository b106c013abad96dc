"""The incident's ticket: created on request, its timeline kept in work notes, resolved with it.

`bot.tickets.setup.JOBS` routes the outbox jobs; `bot.tickets.requests` queues
them; `bot.tickets.resolution.on_resolved` is what a resolve queues.
"""
