"""The desk's words: every text in Finnish, English and Swedish with the same values, and a name for every
kind of event the register records (the case history shows each one in words)."""

from __future__ import annotations

import re
import string

from bot.desk.texts import DeskTexts
from bot.register.models import CaseStatus
from bot.settings import PROJECT_ROOT

# `.record(case, "kind", …)` and `CaseEvent(…, kind="…")` anywhere in bot/: the kinds of event written.
RECORDED = re.compile(r'\.record\(\s*[^,()]+,\s*"([a-z_]+)"|CaseEvent\([^)]*kind="([a-z_]+)"')


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_in_all_three_languages_with_the_same_values() -> None:
    texts = DeskTexts.load()
    for key in texts:
        assert texts.languages_of(key) == {"fi", "en", "sv"}, key
        assert _fields(texts.get(key, "fi")) == _fields(texts.get(key, "en")) == _fields(texts.get(key, "sv")), key


def test_every_kind_of_event_the_register_records_has_a_name_on_the_desk() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "bot").rglob("*.py"))
    kinds = {a or b for a, b in RECORDED.findall(source)}
    # The lifecycle's simple acts record the status they lead to as the event's kind.
    kinds |= {CaseStatus.ACCEPTED.value, CaseStatus.CONTACTED.value, CaseStatus.CLOSED.value}
    assert {"assigned", "reassigned", "noted", "notification_retried", "delivery_failed"} <= kinds, kinds
    texts = DeskTexts.load()
    assert sorted(kind for kind in kinds if f"mentor_event_{kind}" not in texts) == []
