"""Short passages around the words that support a suggestion, instead of the whole text: a window
of about ``width`` characters either side of each span, widened to whole words, overlapping
windows merged, at most ``limit`` of them. Span offsets are kept relative to each passage."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 60
LIMIT = 3


@dataclass(frozen=True)
class Snippet:
    text: str
    marks: tuple[tuple[int, int], ...]  # spans to highlight, relative to ``text``
    lang: str
    cut_before: bool  # the passage starts after the text's beginning (show "…")
    cut_after: bool


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _word_end(text: str, pos: int) -> int:
    while pos < len(text) and not text[pos].isspace():
        pos += 1
    return pos


def snippets(
    text: str, spans: list[tuple[int, int]], lang: str, *, width: int = WIDTH, limit: int = LIMIT
) -> list[Snippet]:
    """Passages of ``text`` around ``spans`` (character offsets), best kept first in text order."""
    clipped = {(max(0, s), min(len(text), e)) for s, e in spans}
    valid = sorted((s, e) for s, e in clipped if s < e)
    windows: list[list[int]] = []
    members: list[list[tuple[int, int]]] = []
    for start, end in valid:
        w0 = _word_start(text, max(0, start - width))
        w1 = _word_end(text, min(len(text), end + width))
        if windows and w0 <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], w1)
            members[-1].append((start, end))
        else:
            windows.append([w0, w1])
            members.append([(start, end)])
    out = []
    for (w0, w1), marks in list(zip(windows, members, strict=True))[:limit]:
        raw = text[w0:w1]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        out.append(
            Snippet(
                body,
                tuple((s - w0 - lead, e - w0 - lead) for s, e in marks),
                lang,
                cut_before=w0 > 0,
                cut_after=w1 < len(text),
            )
        )
    return out
