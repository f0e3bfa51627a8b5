"""The held-out files stay apart from the training data: no held-out message is also a training example.

``make eval`` judges the model on ``tests/nlu/heldout_*.yml`` as on messages it has not seen; a training
example that is the same message (letter case, punctuation and spacing aside) would make that judgement
easier than the customers' messages it stands for.
"""

from __future__ import annotations

import re

from rasa.shared.nlu.training_data.loading import load_data

from bot.nlu.evaluation import HELDOUT
from bot.settings import PROJECT_ROOT

_NOT_WORD = re.compile(r"[\W_]+")


def _normalised(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower()).strip()


def test_no_held_out_message_is_a_training_example() -> None:
    training = {
        _normalised(str(m.get("text"))): str(m.get("intent"))
        for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples
    }
    held_out = [(path.name, str(m.get("text"))) for path in HELDOUT.values() for m in load_data(str(path)).intent_examples]
    in_both = [
        f"{name}: {text!r} (training: {training[_normalised(text)]})" for name, text in held_out if _normalised(text) in training
    ]
    assert not in_both, "held-out messages also in data/nlu (take them out of the training data):\n" + "\n".join(in_both)
