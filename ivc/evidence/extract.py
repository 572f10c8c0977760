"""The text of an evidence file, read within time, memory and size limits.

Reading a PDF means running a parser over content a stranger wrote: a stream whose length refers
to itself, a doubly compressed bomb, a content stream built to be slow. ``extract_text`` reads a
PDF in a child process (``python -I -m ivc.evidence.extract``) with a wall-clock timeout and an
address-space limit, so no file can stop or exhaust the process that asked (a flow working through
a batch, a web request). Every failure becomes *no text* plus a note naming why; nothing raises.

The upload check (``ivc.evidence.safety``) runs the same reading: a PDF whose text later steps
could not read is refused when it is uploaded, and so is a PDF that the parser must repair to read
at all (``strict`` parsing fails where lenient parsing succeeds).

Plain text is read in-process: decoding is linear and its size is capped.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import OrderedDict
from dataclasses import dataclass

TEXT_LIMIT = 200_000  # characters of an evidence file that are read for suggestions
PDF_PAGES = 20  # pages of a PDF whose text is read
PDF_SECONDS = 20.0  # wall-clock limit of one PDF's reading
PDF_MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child process that reads it


@dataclass(frozen=True)
class Extracted:
    """What could be read: ``text`` (None when nothing), and ``note`` saying why not, or what was
    cut (``truncated``), e.g. ``pdf_unreadable: LimitReachedError``, ``pdf_timeout``."""

    text: str | None
    note: str | None = None

    @property
    def failed(self) -> bool:
        """The parser could not read the file (as opposed to a file without a text layer)."""
        return self.note is not None and not self.note.startswith(("truncated", "pdf_encrypted"))


_CACHE: OrderedDict[tuple[str, str, int], Extracted] = OrderedDict()
_CACHE_SIZE = 8  # a flow step reads a file, then the suggester reads it again: one child process


def extract_text(
    data: bytes,
    media_type: str,
    *,
    limit: int = TEXT_LIMIT,
    seconds: float = PDF_SECONDS,
    memory_bytes: int = PDF_MEMORY_BYTES,
) -> Extracted:
    """The text of ``data`` (plain text or a PDF's text layer, at most ``limit`` characters), or
    no text with a note. Never raises for anything the file holds."""
    if media_type.startswith("text/"):
        text = data[: limit * 4].decode("utf-8", errors="replace")
        return Extracted(text[:limit], "truncated" if len(text) > limit or len(data) > limit * 4 else None)
    if media_type.split(";")[0].strip() != "application/pdf":
        return Extracted(None)
    key = (hashlib.sha256(data).hexdigest(), media_type, limit)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    result = _pdf_in_child(data, limit, seconds, memory_bytes)
    if not result.note or result.note != "pdf_timeout":  # a timeout may pass on a quieter machine
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _pdf_in_child(data: bytes, limit: int, seconds: float, memory_bytes: int) -> Extracted:
    command = [sys.executable, "-I", "-m", "ivc.evidence.extract", str(limit), str(PDF_PAGES), str(memory_bytes)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        return Extracted(None, "pdf_timeout")
    except OSError as exc:  # no process could be started: say so rather than fail the caller
        return Extracted(None, f"pdf_unreadable: {type(exc).__name__}")
    if done.returncode != 0:
        reason = "MemoryError" if b"MemoryError" in done.stderr[-2000:] else f"exit {done.returncode}"
        return Extracted(None, f"pdf_unreadable: {reason}")
    try:
        out = json.loads(done.stdout)
    except ValueError:
        return Extracted(None, "pdf_unreadable: bad answer")
    return Extracted(out.get("text"), out.get("note"))


def _read_pdf(data: bytes, limit: int, pages: int) -> dict[str, str | None]:
    """In the child: parse strictly (a file that needs repair is unreadable), then read the text
    of the first ``pages`` pages. Any exception is the note."""
    import io
    import logging

    logging.disable(logging.CRITICAL)  # pypdf's warnings would only fill the parent's pipe
    from pypdf import PdfReader

    try:
        try:
            reader = PdfReader(io.BytesIO(data), strict=True)
            if reader.is_encrypted:
                return {"text": None, "note": "pdf_encrypted"}
            texts = []
            total = 0
            for page in reader.pages[:pages]:
                texts.append(page.extract_text() or "")
                total += len(texts[-1]) + 1
                if total > limit:
                    break
        except Exception as strict_error:  # pypdf raises many kinds on hostile input
            try:  # would a lenient parse have read it? Then the file needs repair
                PdfReader(io.BytesIO(data), strict=False).pages[0].extract_text()
            except Exception:
                return {"text": None, "note": f"pdf_unreadable: {type(strict_error).__name__}"}
            return {"text": None, "note": f"pdf_needs_repair: {type(strict_error).__name__}"}
    except RecursionError:
        return {"text": None, "note": "pdf_unreadable: RecursionError"}
    text = "\n".join(texts)
    return {"text": text[:limit], "note": "truncated" if len(text) > limit else None}


def _main() -> None:
    import resource

    limit, pages, memory = (int(a) for a in sys.argv[1:4])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(_read_pdf(data, limit, pages)))


if __name__ == "__main__":
    _main()
