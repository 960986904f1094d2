"""Classify SQL statements as reads or possible writes, failing closed.

The guard is one layer of the read-only context (see :mod:`readonly`); it has no
Django dependency so it can be tested exhaustively. A statement passes only if
it is a single ``SELECT``/``WITH``/``VALUES``/``TABLE``/``SHOW`` or an ``EXPLAIN``
without ``ANALYZE`` of such a statement, takes no row locks, does not select
``INTO`` a table, modifies no data in a CTE, and calls none of the functions
known to change state (``nextval``, ``set_config``, advisory locks, ...).
Everything else (``INSERT``, ``SET``, ``PRAGMA``, ``COMMIT``, ``SAVEPOINT``, DDL,
``COPY``, ``CALL``, ``DO``, unknown words) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

READ_STARTS = {"SELECT", "WITH", "VALUES", "TABLE", "SHOW"}
WRITE_IN_CTE = {"INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "TRUNCATE"}
#: Functions that change database or session state even inside a SELECT.
STATEFUL_FUNCTIONS = re.compile(
    r"^(NEXTVAL|SETVAL|SET_CONFIG|PG_ADVISORY\w*|PG_TRY_ADVISORY\w*|LO_\w+|DBLINK\w*|PG_NOTIFY|"
    r"PG_TERMINATE_BACKEND|PG_CANCEL_BACKEND|PG_RELOAD_CONF|PG_ROTATE_LOGFILE|PG_SWITCH_WAL|"
    r"PG_CREATE_\w+|PG_DROP_\w+|PG_REPLICATION_\w+|PG_LOGICAL_\w+|PG_FILE_WRITE|PG_IMPORT_SYSTEM_COLLATIONS|"
    r"PG_STAT_RESET\w*|PG_PROMOTE|TXID_CURRENT|PG_CURRENT_XACT_ID|LOAD_EXTENSION|WRITEFILE|"
    r"SQLITE_COMPILEOPTION\w*)$"
)
LOCK_CLAUSES = ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE", "LOCK IN SHARE MODE")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class _Token:
    text: str  # upper-cased word, or a single punctuation character
    is_word: bool


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


class _Unterminated(Exception):
    pass


def tokenize(sql: str) -> list[_Token]:
    """Words and punctuation outside string literals, quoted identifiers and comments."""
    tokens: list[_Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise _Unterminated("comment")
            i = j + 2
        elif c == "'":
            backslashes = i > 0 and sql[i - 1] in "eE" and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
            i = _skip_quoted(sql, i, "'", backslashes)
            tokens.append(_Token("'", False))
        elif c in "\"`":
            i = _skip_quoted(sql, i, c, False)
            tokens.append(_Token("IDENT", True))
        elif c == "[":
            j = sql.find("]", i)
            if j < 0:
                raise _Unterminated("identifier")
            i = j + 1
            tokens.append(_Token("IDENT", True))
        elif c == "$" and (m := _DOLLAR_TAG.match(sql, i)):
            tag = m.group(0)
            j = sql.find(tag, m.end())
            if j < 0:
                raise _Unterminated("dollar-quoted string")
            i = j + len(tag)
            tokens.append(_Token("'", False))
        elif m := _WORD.match(sql, i):
            word = m.group(0).upper()
            tokens.append(_Token(word, True))
            i = m.end()
        else:
            tokens.append(_Token(c, False))
            i += 1
    return tokens


def _skip_quoted(sql: str, i: int, quote: str, backslashes: bool) -> int:
    j = i + 1
    n = len(sql)
    while j < n:
        ch = sql[j]
        if backslashes and ch == "\\":
            j += 2
            continue
        if ch == quote:
            if j + 1 < n and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    raise _Unterminated("quoted string")


def _words(tokens: list[_Token]) -> list[str]:
    return [t.text for t in tokens if t.is_word]


def _has_phrase(words: list[str], phrase: str) -> bool:
    target = phrase.split()
    k = len(target)
    return any(words[i : i + k] == target for i in range(len(words) - k + 1))


def classify(sql: str, many: bool = False) -> Verdict:
    """Decide whether ``sql`` is a pure read. Unknown or odd input is refused."""
    if many:
        return Verdict(False, _first_word(sql) or "EXECUTEMANY", "executemany always writes")
    try:
        tokens = tokenize(sql)
    except _Unterminated as exc:
        return Verdict(False, _first_word(sql) or "STATEMENT", f"unterminated {exc}")
    # Several statements in one call: anything after a ';' but more ';'.
    for idx, tok in enumerate(tokens):
        if tok.text == ";" and any(t.text != ";" for t in tokens[idx + 1 :]):
            return Verdict(False, _kind(tokens), "several statements in one call")
    tokens = [t for t in tokens if t.text != ";"]
    return _classify_tokens(tokens)


def _first_word(sql: str) -> str | None:
    m = _WORD.search(sql)
    return m.group(0).upper() if m else None


def _kind(tokens: list[_Token]) -> str:
    for t in tokens:
        if t.is_word:
            return t.text
    return "STATEMENT"


def _classify_tokens(tokens: list[_Token]) -> Verdict:
    while tokens and tokens[0].text == "(":
        tokens = tokens[1:]
    if not tokens:
        return Verdict(False, "EMPTY", "empty statement")
    first = tokens[0].text
    if first == "EXPLAIN":
        return _classify_explain(tokens[1:])
    if first not in READ_STARTS:
        return Verdict(False, first, "only reads are allowed")
    words = _words(tokens)
    if first == "WITH":
        bad = WRITE_IN_CTE.intersection(words)
        if bad:
            return Verdict(False, sorted(bad)[0], "data-modifying statement inside WITH")
    for clause in LOCK_CLAUSES:
        if _has_phrase(words, clause):
            return Verdict(False, f"SELECT ... {clause}", "row locks are writes")
    if first in {"SELECT", "WITH"} and "INTO" in words:
        return Verdict(False, "SELECT INTO", "it creates a table")
    for k, tok in enumerate(tokens[:-1]):
        if tok.is_word and tokens[k + 1].text == "(" and STATEFUL_FUNCTIONS.match(tok.text):
            return Verdict(False, f"{tok.text.lower()}()", "the function changes database state")
    return Verdict(True, first)


def _classify_explain(rest: list[_Token]) -> Verdict:
    # EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN (opt [, ...]) stmt | EXPLAIN QUERY PLAN stmt (SQLite)
    words = []
    i = 0
    if rest and rest[0].text == "(":
        depth = 0
        while i < len(rest):
            t = rest[i]
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif t.is_word:
                words.append(t.text)
            i += 1
    while i < len(rest) and rest[i].is_word and rest[i].text in {"ANALYZE", "ANALYSE", "VERBOSE", "QUERY", "PLAN"}:
        words.append(rest[i].text)
        i += 1
    if "ANALYZE" in words or "ANALYSE" in words:
        # ``EXPLAIN (ANALYZE false)`` is harmless, but failing closed costs nothing.
        return Verdict(False, "EXPLAIN ANALYZE", "it executes the statement")
    inner = _classify_tokens(rest[i:])
    if not inner.allowed:
        return Verdict(False, f"EXPLAIN {inner.kind}", inner.reason)
    return Verdict(True, "EXPLAIN")
