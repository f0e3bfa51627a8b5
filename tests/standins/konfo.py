"""A local stand-in of Opintopolku's konfo-backend external API (these machines cannot reach the real one).

It answers the two calls the catalogue sync makes, in the shapes of the public
source (Opetushallitus/konfo-backend, ``src/konfo_backend/external/schema/``):
``search/toteutukset-koulutuksittain`` filtered by ``koulutustyyppi`` and
``sijainti`` and paged by ``page``/``size``, and ``toteutus/{oid}``. It can be
told to fail (HTTP 500) or to answer too slowly, and it records each request's
headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KAO = "1.2.246.562.10.10000000001"  # the demo vocational college's institution
AMK = "1.2.246.562.10.20000000002"  # the demo UAS's institution
ELSEWHERE = "1.2.246.562.10.99999999999"  # an institution outside the network


def _names(fi: str, sv: str | None = None, en: str | None = None) -> dict[str, str]:
    return {k: v for k, v in (("fi", fi), ("sv", sv), ("en", en)) if v}


def _kunta(code: str, name: str) -> dict[str, Any]:
    return {"koodiUri": f"kunta_{code}", "nimi": {"fi": name, "sv": name}}


# Koulutus hits of the search, each with its toteutukset (toteutus × oppilaitos pairs).
HITS: list[dict[str, Any]] = [
    {
        "oid": "1.2.246.562.13.00000000000000000101",
        "nimi": _names("Logistiikan perustutkinto", "Grundexamen i logistik"),
        "kielivalinta": ["fi", "sv"],
        "koulutustyyppi": "amm",
        "koulutukset": [{"koodiUri": "koulutus_351301#12", "nimi": _names("Logistiikan perustutkinto")}],
        "kuvaus": None,
        "toteutukset": [
            {
                "toteutusOid": "1.2.246.562.17.00000000000000000201",
                "toteutusNimi": _names("Logistiikan perustutkinto, Kouvola"),
                "oppilaitosOid": KAO,
                "oppilaitosNimi": _names("Kymen ammattiopisto"),
                "kunnat": [_kunta("286", "Kouvola")],
            },
            {
                "toteutusOid": "1.2.246.562.17.00000000000000000299",
                "toteutusNimi": _names("Logistiikan perustutkinto, toinen opisto"),
                "oppilaitosOid": ELSEWHERE,
                "oppilaitosNimi": _names("Muu opisto"),
                "kunnat": [_kunta("286", "Kouvola")],
            },
        ],
    },
    {
        "oid": "1.2.246.562.13.00000000000000000102",
        "nimi": _names("Hitsauksen tutkinnon osa"),
        "kielivalinta": ["fi"],
        "koulutustyyppi": "amm-tutkinnon-osa",
        "koulutukset": [],
        "kuvaus": None,
        "toteutukset": [
            {
                "toteutusOid": "1.2.246.562.17.00000000000000000202",
                "toteutusNimi": _names("Hitsauksen tutkinnon osa, Kotka"),
                "oppilaitosOid": KAO,
                "oppilaitosNimi": _names("Kymen ammattiopisto"),
                "kunnat": [_kunta("285", "Kotka")],
            }
        ],
    },
    {
        "oid": "1.2.246.562.13.00000000000000000103",
        "nimi": _names("Avoin AMK: Logistiikan perusteet", en="Open UAS: Basics of logistics"),
        "kielivalinta": ["fi", "en"],
        "koulutustyyppi": "kk-opintojakso",
        "koulutukset": [],
        "kuvaus": None,
        "toteutukset": [
            {
                "toteutusOid": "1.2.246.562.17.00000000000000000203",
                "toteutusNimi": _names("Logistiikan perusteet, verkko", en="Basics of logistics, online"),
                "oppilaitosOid": AMK,
                "oppilaitosNimi": _names("Kaakon ammattikorkeakoulu"),
                "kunnat": [_kunta("285", "Kotka")],
            }
        ],
    },
]
# The search filter value each hit's koulutustyyppi answers to.
_FILTER = {"amm": "amm", "amm-tutkinnon-osa": "amm-tutkinnon-osa", "kk-opintojakso": "amk-opintojakso-avoin"}


def _toteutus(oid: str, name: dict[str, str], tyyppi: str, place: tuple[str, str], opetus: Mapping[str, Any]) -> dict[str, Any]:
    organisation = {"oid": KAO if tyyppi == "amm" else AMK, "nimi": _names("Oppilaitos"), "paikkakunta": _kunta(*place)}
    return {
        "oid": oid,
        "koulutusOid": "1.2.246.562.13.00000000000000000101",
        "tila": "julkaistu",
        "oppilaitokset": [organisation["oid"]],
        "tarjoajat": [organisation],
        "kielivalinta": list(name),
        "nimi": name,
        "metadata": {
            "tyyppi": tyyppi,
            "kuvaus": {"fi": "<p>Opiskelu alkaa, kun <b>sovitaan</b>.</p>", "en": "<p>Starts when agreed.</p>"},
            "opetus": {
                "opetusaika": [{"koodiUri": "opetusaikakk_1#1", "nimi": {"fi": "Päiväopetus"}}],
                "lisatiedot": [],
                "onkoApuraha": False,
                **opetus,
            },
            "yhteyshenkilot": [],
            "asiasanat": [{"kieli": "fi", "arvo": "varasto"}, {"kieli": "fi", "arvo": "logistiikka"}],
            "ammattinimikkeet": [{"kieli": "fi", "arvo": "varastotyöntekijä"}],
        },
        "organisaatio": organisation,
        "modified": "2026-10-01T09:55",
        "timestamp": 1790000000000,
    }


TOTEUTUKSET: dict[str, dict[str, Any]] = {
    "1.2.246.562.17.00000000000000000201": _toteutus(
        "1.2.246.562.17.00000000000000000201",
        _names("Logistiikan perustutkinto, Kouvola"),
        "amm",
        ("286", "Kouvola"),
        {
            "opetuskieli": [{"koodiUri": "oppilaitoksenopetuskieli_1#1", "nimi": {"fi": "suomi"}}],
            "opetustapa": [
                {"koodiUri": "opetuspaikkakk_1#1", "nimi": {"fi": "Lähiopetus"}},
                {"koodiUri": "opetuspaikkakk_2#1", "nimi": {"fi": "Etäopetus"}},
            ],
            "maksullisuustyyppi": "maksuton",
            "koulutuksenAlkamiskausi": {"alkamiskausityyppi": "henkilokohtainen suunnitelma"},
        },
    ),
    "1.2.246.562.17.00000000000000000202": _toteutus(
        "1.2.246.562.17.00000000000000000202",
        _names("Hitsauksen tutkinnon osa, Kotka"),
        "amm",
        ("285", "Kotka"),
        {
            "opetuskieli": [{"koodiUri": "oppilaitoksenopetuskieli_1#1", "nimi": {"fi": "suomi"}}],
            "opetustapa": [{"koodiUri": "opetuspaikkakk_1#1", "nimi": {"fi": "Lähiopetus"}}],
            "maksullisuustyyppi": "maksullinen",
            "maksunMaara": 350,
            "koulutuksenAlkamiskausi": {
                "alkamiskausityyppi": "tarkka alkamisajankohta",
                "koulutuksenAlkamispaivamaara": "2027-02-22T09:00",
            },
        },
    ),
    "1.2.246.562.17.00000000000000000203": _toteutus(
        "1.2.246.562.17.00000000000000000203",
        _names("Logistiikan perusteet, verkko", en="Basics of logistics, online"),
        "amk",
        ("285", "Kotka"),
        {
            "opetuskieli": [
                {"koodiUri": "oppilaitoksenopetuskieli_1#1", "nimi": {"fi": "suomi"}},
                {"koodiUri": "oppilaitoksenopetuskieli_4#1", "nimi": {"fi": "englanti"}},
            ],
            "opetustapa": [{"koodiUri": "opetuspaikkakk_2#1", "nimi": {"fi": "Etäopetus"}}],
            "maksullisuustyyppi": "maksullinen",
            "maksunMaara": 75,
            "koulutuksenAlkamiskausi": {
                "alkamiskausityyppi": "alkamiskausi ja -vuosi",
                "koulutuksenAlkamiskausi": {"koodiUri": "kausi_k#1", "nimi": {"fi": "Kevät"}},
                "koulutuksenAlkamisvuosi": "2027",
            },
        },
    ),
}


class KonfoReplay:
    """The stand-in server on a free loopback port; ``url`` is what the sync's base URL becomes."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fail = False  # answer HTTP 500
        self.delay = 0.0  # seconds before answering
        self.reshaped = False  # details answered in a shape konfo does not publish (an API change)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> KonfoReplay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def search(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        types = set(",".join(query.get("koulutustyyppi", [""])).split(","))
        places = set(",".join(query.get("sijainti", [""])).split(","))
        found = [
            hit
            for hit in HITS
            if _FILTER[hit["koulutustyyppi"]] in types
            and any(k["koodiUri"] in places for t in hit["toteutukset"] for k in t["kunnat"])
        ]
        page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["20"])[0])
        return {"total": len(found), "hits": found[(page - 1) * size : page * size]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self, status: int, body: Any) -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with replay.lock:
                    replay.requests.append((self.path, dict(self.headers.items())))
                    fail, delay, reshaped = replay.fail, replay.delay, replay.reshaped
                if delay:
                    time.sleep(delay)
                if fail:
                    self.answer(500, "Internal Server Error")
                elif parts.path == "/konfo-backend/external/search/toteutukset-koulutuksittain":
                    self.answer(200, replay.search(parse_qs(parts.query)))
                elif parts.path.startswith("/konfo-backend/external/toteutus/"):
                    oid = parts.path.rsplit("/", 1)[1]
                    found = TOTEUTUKSET.get(oid)
                    if found and reshaped:
                        found = {**found, "metadata": ["moved elsewhere"]}
                    self.answer(200, found) if found else self.answer(404, "Not found")
                else:
                    self.answer(404, "Not found")

        return Handler
