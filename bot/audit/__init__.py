"""The audit trail: per-incident hash chains over the event log, export and verification."""
