"""Time zones a rep is likely to pick, finding one from a typed city or zone name, and from a shared
location (timezonefinder: the zone boundaries ship inside the package, nothing is downloaded)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from babel.dates import get_timezone_location
from timezonefinder import TimezoneFinder

from bot.text_keys import search_key

# The zones offered as buttons, by the rep's language, after the deployment's default zone. English is
# spoken by reps in the other four languages' countries too: an English-speaking rep in Helsinki gets a
# Helsinki button wherever the bot is deployed.
LIKELY_ZONES = {
    "en": (
        "Europe/London",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Europe/Helsinki",
        "Europe/Oslo",
        "Europe/Budapest",
        "Europe/Paris",
    ),
    "fi": ("Europe/Helsinki", "Europe/Stockholm"),
    "nb": ("Europe/Oslo", "Europe/Stockholm"),
    "hu": ("Europe/Budapest", "Europe/Vienna"),
    "fr": ("Europe/Paris", "Europe/Brussels", "Europe/Zurich", "America/Toronto"),
}
MAX_MATCHES = 6


def likely_zones(language: str, default_zone: str) -> tuple[str, ...]:
    """The deployment's default zone first (unless it is UTC, where nobody lives), then the language's."""
    zones = LIKELY_ZONES.get(language, ())
    first = () if default_zone == "UTC" else (default_zone,)
    return tuple(dict.fromkeys((*first, *zones)))


@cache
def _finder() -> TimezoneFinder:
    # Reads the boundaries from the package's own files on demand (in_memory=False): a few MB, not 40.
    return TimezoneFinder(in_memory=False)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone at these coordinates, or None for a point outside every zone or coordinates that
    cannot be (a shared location is typed input: nothing in it is verified)."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    zone = _finder().timezone_at(lat=latitude, lng=longitude)
    # At sea the answer is an offset zone (Etc/GMT+11): no city to name, and no rep works there.
    if zone is None or not zone.startswith(_REGIONS):
        return None
    try:
        zoneinfo.ZoneInfo(zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    return zone


def city_name(zone: str, locale: str) -> str:
    """The zone's city in the rep's language ("Helsinki", "Wien"), or the zone id's last part."""
    try:
        return str(get_timezone_location(zone, locale=locale, return_city=True))
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def _zone_keys(locale: str) -> dict[str, tuple[str, str, str]]:
    """Per zone: its city, its id and its city in the locale, folded for matching (built once per locale)."""
    keys: dict[str, tuple[str, str, str]] = {}
    for zone in sorted(zoneinfo.available_timezones()):
        # Legacy aliases (US/Eastern, Etc/GMT+2) would crowd out the canonical region/city zones.
        if not zone.startswith(_REGIONS):
            continue
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        keys[zone] = (
            search_key(city),
            search_key(zone.replace("_", " ")),
            search_key(city_name(zone, locale)),
        )
    return keys


def find_zones(text: str, locale: str = "en_GB") -> list[str]:
    """Zones whose city or id matches the typed text: an exact city first, then cities starting with it."""
    wanted = search_key(text.strip().replace("_", " "))
    if len(wanted) < 2:
        return []
    exact, starting = [], []
    for zone, (city, full, local_city) in _zone_keys(locale).items():
        if wanted in (city, full, local_city):
            exact.append(zone)
        elif city.startswith(wanted) or local_city.startswith(wanted):
            starting.append(zone)
    return (exact or starting)[:MAX_MATCHES]
