"""An optional rewording of a drafted letter by a model behind an OpenAI-compatible HTTP
endpoint (``POST {url}/chat/completions``). Off unless a URL is configured.

The model may reword, never add facts: the draft keeps the rewording only when its number
trace and its lint are as clean as the original's (no untraced number, no value without its
time, no forbidden word, no new problem); otherwise the original stands and the review says
why. The letter holds patient identifiers: point it only at an endpoint the organisation
may send PHI to.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from claimflow.appeals.letter import Letter
from claimflow.errors import ClaimflowError

SYSTEM = (
    "You reword hospital appeal letters. You receive the letter as a JSON list of paragraphs. "
    "Return a JSON list with exactly as many paragraphs, in the same order. Keep every number, "
    "date, time, unit, code and quoted sentence exactly as written; add no fact, no number and "
    "no hedging word (although, however, may, might, only, potentially); keep **bold** marks."
)
# Paragraphs that are the payer's own words or fixed fields: never sent for rewording.
_KEPT = frozenset({"header", "quote", "heading"})


class RephraseError(ClaimflowError):
    """The endpoint could not be reached or did not answer as an OpenAI-compatible one."""


@dataclass(frozen=True)
class Endpoint:
    url: str  # the API base, e.g. http://127.0.0.1:8080/v1
    model: str
    api_key: str | None = None
    timeout: float = 60.0


def rephrase(letter: Letter, endpoint: Endpoint) -> Letter:
    """The letter with its own paragraphs reworded by the model.

    Raises:
        RephraseError: No answer, or an answer that is not the same number of paragraphs.
    """
    indexes = [i for i, p in enumerate(letter.paragraphs) if p.kind not in _KEPT]
    sent = [letter.paragraphs[i].text for i in indexes]
    body = {
        "model": endpoint.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": json.dumps(sent, ensure_ascii=False)},
        ],
    }
    request = urllib.request.Request(
        endpoint.url.rstrip("/") + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=endpoint.timeout) as response:
            answer = json.loads(response.read())
        content = answer["choices"][0]["message"]["content"]
        reworded = json.loads(content)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RephraseError(f"the rephrasing endpoint {endpoint.url}: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RephraseError(
            f"the rephrasing endpoint {endpoint.url} did not answer with a JSON list of "
            f"paragraphs in choices[0].message.content ({type(exc).__name__})"
        ) from None
    if not isinstance(reworded, list) or len(reworded) != len(sent):
        raise RephraseError(
            f"the rephrasing endpoint returned {len(reworded) if isinstance(reworded, list) else 'no list of'}"
            f" paragraphs for {len(sent)}"
        )
    paragraphs = list(letter.paragraphs)
    for i, text in zip(indexes, reworded, strict=True):
        paragraphs[i] = dataclasses.replace(paragraphs[i], text=str(text))
    return dataclasses.replace(
        letter, paragraphs=paragraphs, template=f"{letter.template}, reworded"
    )
