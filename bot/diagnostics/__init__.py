"""What collect_diagnostics found, posted in the triage card's thread and kept in the log."""
