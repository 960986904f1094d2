"""A real file-system storage whose saves a test can make fail, as an upload to a full bucket or over a lost
connection would (the ``flaky`` alias in tests/settings.py)."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage


class FlakyStorage(FileSystemStorage):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arm()

    def arm(self, *failing: int, error: type[BaseException] = OSError, deletes: tuple[int, ...] = (),
            undeletable: tuple[str, ...] = ()) -> None:
        """From now on, the saves numbered ``failing`` (1 is the next) raise ``error``, and so do the deletes
        numbered ``deletes`` and every delete of a name in ``undeletable``; ``saved`` and ``deleted`` list the
        names of all saves and deletes attempted."""
        self.failing = set(failing)
        self.failing_deletes = set(deletes)
        self.undeletable = set(undeletable)
        self.deleted: list[str] = []
        self.error = error
        self.saved: list[str] = []

    def _save(self, name: str, content: Any) -> str:
        self.saved.append(name)
        if len(self.saved) in self.failing:
            if self.error is OSError:
                raise OSError(28, "No space left on device", name)
            raise self.error()
        return super()._save(name, content)

    def delete(self, name: str) -> None:
        self.deleted.append(name)
        if len(self.deleted) in self.failing_deletes or name in self.undeletable:
            raise OSError(13, "Permission denied", name)
        super().delete(name)
