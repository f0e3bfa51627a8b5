"""The offerings catalogue: what the network's partners offer, concretely, for a competence path.

Two sources, one catalogue:

- the **curated file** beside the network file (``networks/<name>.catalogue.yml``,
  or ``FRONTDOOR_CATALOGUE``): offerings written by people (employment and
  business services, apprenticeship and workplace-instructor training, demo
  courses), and the ``sync`` section saying which institutions'
  education offerings ``frontdoor catalogue sync`` fetches from Opintopolku;
- the **synced file** (``var/catalogue/<network id>.json``) that the sync
  writes (:mod:`bot.paths.konfo`). The front door works offline on the last synced
  catalogue; a failed sync never touches it.

Like the network file, the curated file is written by people: loading it
checks everything (:mod:`bot.paths.checking`) and names every problem with
where it is. What the catalogue holds is in :mod:`bot.paths.offerings`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.network.files import FileProblems, parse_yaml
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.paths.checking import OfferingChecker
from bot.paths.offerings import Catalogue, Offering

logger = logging.getLogger(__name__)


class CatalogueError(FileProblems):
    """The catalogue file cannot be used."""

    what = "catalogue"


def parse_catalogue(
    raw: Any, path: Path, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]
) -> Catalogue:
    """Check the curated file's YAML and build the catalogue, or raise :class:`CatalogueError`."""
    if not isinstance(raw, dict):
        raise CatalogueError(path, ["the file must be a mapping with 'offerings' (and optionally 'sync')"])
    check = OfferingChecker(taxonomy, municipalities, partners)
    offerings_raw = raw.get("offerings") or []
    if not isinstance(offerings_raw, list):
        check.problem("offerings", "expected a list of offerings")
        offerings_raw = []
    seen: set[str] = set()
    offerings = [check.offering(o, f"offerings[{i}]", seen) for i, o in enumerate(offerings_raw)]
    plan = check.plan(raw.get("sync"))
    if check.problems:
        raise CatalogueError(path, check.problems)
    return Catalogue(offerings=tuple(o for o in offerings if o is not None), plan=plan)


def load_curated(path: Path, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]) -> Catalogue:
    """Read and check the curated file; a missing file is an empty catalogue (suggestions are off)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Catalogue()
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(path, [f"cannot be read: {exc}"]) from None
    return parse_catalogue(parse_yaml(path, text, CatalogueError), path, taxonomy, municipalities, partners)


@dataclass(frozen=True)
class OfferingRules:
    """What an offering is checked against: the needs and sectors, municipalities and the network's partners."""

    taxonomy: Taxonomy
    municipalities: Municipalities
    partners: frozenset[str]

    def check(self, raws: Iterable[Any], source: object) -> list[Offering]:
        """The offerings that pass the curated file's checks, each id once; the others are logged and left out.

        A synced file is written by a program, not by people: one bad entry (a changed sector list, a
        hand-edited file) must not keep the good ones, or the front door, from working.
        """
        seen: set[str] = set()
        passed: list[Offering] = []
        rejected: list[str] = []  # the first problem of each offering left out
        for i, raw in enumerate(raws):
            if isinstance(raw, Mapping) and raw.get("partner") not in self.partners:
                continue  # a partner that left the network: its offerings go with it
            check = OfferingChecker(self.taxonomy, self.municipalities, self.partners)
            offering = check.offering(raw, f"offerings[{i}]", seen)
            if offering is None or check.problems:
                rejected.append(check.problems[0] if check.problems else f"offerings[{i}]: not an offering")
            else:
                passed.append(offering)
        if rejected:
            logger.warning("%s: %d offerings fail the checks and are left out (first: %s)", source, len(rejected), rejected[0])
        return passed


def read_synced(path: Path, rules: OfferingRules) -> tuple[list[Offering], str | None]:
    """The last synced offerings that pass ``rules``, and when they were synced; none if never synced.

    A damaged file is logged and ignored: suggestions then come from the curated file only.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        raws, synced_at = data["offerings"], data.get("synced_at")
        if not isinstance(raws, list):
            raise TypeError("offerings is not a list")
    except FileNotFoundError:
        return [], None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.error("synced catalogue %s cannot be read (%s); using the curated offerings only", path, type(exc).__name__)
        return [], None
    return rules.check(raws, path), synced_at if isinstance(synced_at, str) else None


def write_synced(path: Path, offerings: Iterable[Offering], synced_at: str) -> None:
    """Replace the synced file atomically: a reader sees the old file or the new one, never half.

    Readable by all (the front door may run as another user than the sync) and on disk before it
    takes the old file's place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"synced_at": synced_at, "offerings": [o.to_json() for o in sorted(offerings, key=lambda o: o.id)]}
    descriptor, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    temporary = Path(name)
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def combine(curated: Catalogue, synced: Iterable[Offering], synced_at: str | None) -> Catalogue:
    """The curated offerings and the synced ones not curated under the same id."""
    ids = {o.id for o in curated.offerings}
    return Catalogue(
        offerings=curated.offerings + tuple(o for o in synced if o.id not in ids), plan=curated.plan, synced_at=synced_at
    )


def synced_path(folder: Path, network_id: str) -> Path:
    """Where the synced catalogue of a network is kept."""
    return folder / f"{network_id}.json"


def load_catalogue(
    curated_path: Path, synced_file: Path | None, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]
) -> Catalogue:
    """The curated offerings and the last synced ones of partners still in the network."""
    known = frozenset(partners)
    curated = load_curated(curated_path, taxonomy, municipalities, known)
    offerings, synced_at = read_synced(synced_file, OfferingRules(taxonomy, municipalities, known)) if synced_file else ([], None)
    return combine(curated, offerings, synced_at)
