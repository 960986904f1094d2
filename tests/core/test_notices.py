"""Long project warnings: whole once per state directory, one line after (core/notices.py)."""

from __future__ import annotations

import os

from tenant_console.core.notices import SHOWN_FILE, Notice, texts


def test_whole_once_then_short_and_the_record_does_not_grow(tmp_path):
    notice = Notice("a long paragraph about eight models", short="8 models: see models")
    assert texts([notice, "a plain warning"], tmp_path) == ["a long paragraph about eight models", "a plain warning"]
    assert texts([notice, "a plain warning"], tmp_path) == ["8 models: see models", "a plain warning"]
    size = (tmp_path / SHOWN_FILE).stat().st_size
    assert texts([notice], tmp_path, full=True) == ["a long paragraph about eight models"]
    assert (tmp_path / SHOWN_FILE).stat().st_size == size, "shown again in full: not recorded twice"
    assert oct((tmp_path / SHOWN_FILE).stat().st_mode & 0o777) == "0o600"
    changed = Notice("a long paragraph about nine models", short="9 models: see models")
    assert texts([changed], tmp_path) == ["a long paragraph about nine models"], "a changed text is new"


def test_a_link_or_a_pipe_at_the_record_is_not_read(tmp_path):
    """Never follows a link and never blocks on a pipe (the start would hang): the notice is shown whole."""
    notice = Notice("whole", short="short")
    other = tmp_path / "elsewhere"
    other.write_text("")
    (tmp_path / SHOWN_FILE).symlink_to(other)
    texts([notice], tmp_path)
    assert texts([notice], tmp_path) == ["whole"]
    assert other.read_text() == "", "nothing written through the link"
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / SHOWN_FILE)
    assert texts([notice], fifo_dir) == ["whole"]
