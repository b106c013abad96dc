"""Triage: what the incident is, how sure we are, and what could be done."""
