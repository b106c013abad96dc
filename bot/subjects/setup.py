"""Subject rules from settings: the exporter list, the environment map, the services file."""

from __future__ import annotations

from bot.config import ConfigError, Settings
from bot.subjects.rules import DEFAULT_EXPORTERS, SubjectRules, parse_environment_map
from bot.subjects.services_file import ServiceCatalog, ServicesFileError, load_services_file


def subject_rules(settings: Settings) -> SubjectRules:
    """The site's subject rules; a bad services file raises ConfigError naming it."""
    catalog = ServiceCatalog()
    if settings.services_file is not None:
        try:
            catalog = load_services_file(settings.services_file)
        except ServicesFileError as exc:
            raise ConfigError(f"SMOKEJUMPER_SERVICES_FILE is invalid: {exc}") from None
    exporters = settings.subject_exporters or list(DEFAULT_EXPORTERS)
    return SubjectRules(
        default_environment=settings.environment,
        exporters=frozenset(name.casefold() for name in exporters),
        environment_map=parse_environment_map(settings.environment_map),
        services=catalog,
    )
