"""Jedi, warmed up before the first completion (issue 15: the first ``tab`` took a second or more).

Jedi's first completion imports jedi and parso, loads the typeshed stubs of the
builtins, and parses the source of the classes it looks at (a model's
``models.py``, Django's ``Model``, ``Manager`` and ``QuerySet``). All of that is
cached for the life of the process, so the console does it once while the user
is still choosing a tenant: :func:`start` runs :func:`warm_up` on a thread of its
own, after the picker's first list is shown. That work is pure Python, needs no
database, and takes a second: on the session thread it would hold up the
picker's searches queued behind it, on the event loop the screen.

Jedi's caches are process-wide, so completions and the warm-up take turns
(:data:`JEDI_LOCK`): a ``tab`` pressed during the warm-up waits for it, then
finds everything warm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

#: Held by every jedi completion and by the warm-up.
JEDI_LOCK = threading.RLock()
_done = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def is_warm() -> bool:
    return _done.is_set()


def warm_up(models: Iterable[type] = ()) -> float:
    """Complete once against live objects like the REPL's (a model class, its manager and queryset, an
    instance, a string), so that the first real completion finds jedi warm. Seconds taken (0 when it
    was warm already). Never raises: a warm-up that fails leaves the first completion cold, nothing more.
    """
    started = time.perf_counter()
    with JEDI_LOCK:
        if _done.is_set():
            return 0.0
        try:
            import jedi

            namespace: dict[str, Any] = {"text": "", "numbers": [1, 2], "mapping": {"a": 1}}
            sources = ["text.st", "numbers.ap", "mapping.ke"]
            for model in list(models)[:1]:  # one model warms Django's Model, Manager and QuerySet for all
                namespace["Model"] = model
                sources += ["Model.ob", "Model.objects.fi", "Model.objects.all().fi", "Model._meta.get"]
            for source in sources:
                jedi.Interpreter(source, [namespace]).complete(1, len(source))
        except Exception:
            pass
        finally:
            _done.set()
    return time.perf_counter() - started


def start(models: Iterable[type] = ()) -> threading.Thread | None:
    """Run :func:`warm_up` on a daemon thread, once per process; the thread (or None when already started)."""
    global _thread
    with _started:
        if _thread is not None or _done.is_set():
            return None
        _thread = threading.Thread(target=warm_up, args=(list(models),), name="tenant-console-jedi-warm-up",
                                   daemon=True)
        _thread.start()
        return _thread
