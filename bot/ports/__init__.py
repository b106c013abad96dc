"""Capability protocols that integrations implement and flows depend on."""
