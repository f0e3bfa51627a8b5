"""``frontdoor catalogue sync|list``: the partners' offerings that competence paths are drafted from.

konfo's HTTP client is imported only by ``sync``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from bot.ops.commands import Commands
from bot.paths.catalogue import OfferingRules, load_catalogue, read_synced, synced_path
from bot.paths.drafting import load_drafting
from bot.paths.offerings import in_language
from bot.settings import Settings


def add_catalogue(commands: Commands, common: argparse.ArgumentParser) -> None:
    catalogue = commands.add_parser(
        "catalogue", help="the partners' offerings that competence paths are drafted from"
    ).add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    sync = catalogue.add_parser("sync", parents=[common], help="refresh the education offerings from Opintopolku (konfo)")
    sync.add_argument("--konfo-url", help="konfo-backend's root URL (default: FRONTDOOR_KONFO_URL or https://opintopolku.fi)")
    sync.set_defaults(handler=_sync)
    offerings = catalogue.add_parser("list", parents=[common], help="list the offerings in use (curated and synced)")
    offerings.add_argument("--json", action="store_true", help="print a JSON array")
    offerings.set_defaults(handler=_list)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    drafting = load_drafting(settings.network_path, settings.curated_catalogue, None)
    synced = synced_path(settings.catalogue_dir, drafting.network.id)
    catalogue = load_catalogue(
        settings.curated_catalogue,
        synced,
        drafting.taxonomy,
        drafting.municipalities,
        [p.id for p in drafting.network.partners],
    )
    rows = [o.to_json() for o in catalogue.offerings]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for o in catalogue.offerings:
        print(f"{o.id:40} {o.partner:22} {o.kind:24} {o.start or '-':10} {in_language(o.title, 'fi')}")
    print(f"{len(rows)} offerings ({settings.curated_catalogue}; synced {catalogue.synced_at or 'never'})")
    return 0


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from bot.paths.konfo import KonfoClient, SyncError, konfo_session, sync  # noqa: PLC0415 - only sync needs requests

    drafting = load_drafting(settings.network_path, settings.curated_catalogue, None)
    synced = synced_path(settings.catalogue_dir, drafting.network.id)
    rules = OfferingRules(drafting.taxonomy, drafting.municipalities, frozenset(p.id for p in drafting.network.partners))
    previous, synced_at = read_synced(synced, rules)
    client = KonfoClient(konfo_session(), args.konfo_url or settings.konfo_url, settings.konfo_timeout_seconds)
    try:
        result = sync(client, drafting.catalogue, synced, drafting.sectors.match, datetime.now(timezone.utc), rules=rules)
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if synced_at:
            print(f"       the catalogue synced at {synced_at} ({len(previous)} offerings) stays in use", file=sys.stderr)
        else:
            print("       nothing was synced before: paths are drafted from the curated offerings only", file=sys.stderr)
        return 1
    partners = ", ".join(f"{partner} {count}" for partner, count in sorted(result.by_partner.items())) or "none"
    state = "updated" if result.changed else "unchanged"
    print(f"{result.offerings} offerings from Opintopolku ({partners}); catalogue {state}: {synced}")
    return 0
