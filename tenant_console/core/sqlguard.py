"""Classify SQL statements as reads or possible writes, failing closed.

The guard is one layer of the read-only context (see :mod:`readonly`); it has no
Django dependency so it can be tested exhaustively. A statement passes only if
it is a single ``SELECT``/``WITH``/``VALUES``/``TABLE``/``SHOW`` (or a SQLite
introspection ``PRAGMA`` that takes no value) or an ``EXPLAIN`` without
``ANALYZE`` of such a statement, takes no row locks, does not select ``INTO`` a
table, contains no data-modifying keyword anywhere (a data-modifying CTE), and
calls none of the functions known to change state (``nextval``, ``set_config``,
advisory locks, ...), also when their names are quoted or schema-qualified.
Everything else (``INSERT``, ``SET``, ``PRAGMA x = y``, ``COMMIT``,
``SAVEPOINT``, DDL, ``COPY``, ``CALL``, ``DO``, unknown words, unterminated
quotes or comments, several statements in one string) is refused.

Where dialects lex differently, the statement must be a read under every
lexing the server might use: PostgreSQL is checked both with
``standard_conforming_strings`` on and off (a server may run with it off, and
then a backslash escapes a quote), so that a string or comment can never hide a
keyword from the guard that the server would execute. Unknown vendors are
checked under all the lexings known here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

READ_STARTS = {"SELECT", "WITH", "VALUES", "TABLE", "SHOW"}
#: Keywords of data-modifying statements; none may appear anywhere in a read
#: (``WITH x AS (DELETE ... RETURNING *) SELECT ...`` modifies data).
WRITE_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "TRUNCATE"}
#: ...except as a function name (SQLite and MySQL have a ``replace()`` string function).
WRITE_WORDS_THAT_ARE_ALSO_FUNCTIONS = {"REPLACE"}
#: THE deny-list of functions (one place; the SQLite authorizer asks it too): functions
#: that change database, session or server state even inside a SELECT (sequences,
#: settings, locks that outlive the input, large objects, notifications, other
#: backends, replication, files, statistics), or that run SQL text given as a string
#: (which the guard cannot see), or that reach other servers. Matched on the
#: function's name, however it is spelled (quoted, ``U&"..."``, schema-qualified).
DENIED_FUNCTIONS: tuple[str, ...] = (
    # sequences and settings
    "NEXTVAL", "SETVAL", "SET_CONFIG", "SETSEED",
    # locks held past the statement, or across inputs
    r"PG_ADVISORY\w*", r"PG_TRY_ADVISORY\w*", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS",
    # large objects and server files
    r"LO_\w+", "LOWRITE", "LOREAD", "LOOPEN", "LOCLOSE", "LOCREAT", "LOUNLINK", "PG_FILE_WRITE",
    r"PG_READ_\w*FILE", r"PG_LS_\w+", "PG_STAT_FILE",
    # other servers and SQL run from a string
    r"DBLINK\w*", r"QUERY_TO_XML\w*", r"CURSOR_TO_XML\w*", r"TABLE_TO_XML\w*", r"QUERY_TO_JSON\w*",
    # other backends and the server
    "PG_NOTIFY", "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "PG_RELOAD_CONF", "PG_ROTATE_LOGFILE",
    "PG_SWITCH_WAL", r"PG_WAL_REPLAY\w*", r"PG_\w*BACKUP\w*", r"PG_CREATE_\w+", r"PG_DROP_\w+",
    r"PG_COPY_\w+", r"PG_REPLICATION_\w+", r"PG_LOGICAL_\w+", "PG_IMPORT_SYSTEM_COLLATIONS",
    r"PG_STAT_RESET\w*", "PG_PROMOTE", "PG_LOG_BACKEND_MEMORY_CONTEXTS", "PG_PREWARM",
    # transaction ids (assigning one is a write to the transaction log)
    "TXID_CURRENT", "PG_CURRENT_XACT_ID",
    # SQLite and MySQL
    "LOAD_EXTENSION", "WRITEFILE", "FTS3_TOKENIZER", "EDIT",
)
STATEFUL_FUNCTIONS = re.compile(r"^(" + "|".join(DENIED_FUNCTIONS) + r")$")


def is_denied_function(name: str) -> bool:
    """Whether the function called ``name`` (any case, no schema) is on the deny-list."""
    return STATEFUL_FUNCTIONS.match(name.upper()) is not None


LOCK_CLAUSES = ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE", "LOCK IN SHARE MODE")
#: SQLite pragmas that only report (schema introspection); allowed as
#: ``PRAGMA [schema.]name[(table)]``, never with ``=``.
INTROSPECTION_PRAGMAS = {
    "TABLE_INFO", "TABLE_XINFO", "TABLE_LIST", "INDEX_LIST", "INDEX_INFO", "INDEX_XINFO",
    "FOREIGN_KEY_LIST", "FOREIGN_KEY_CHECK", "DATABASE_LIST", "COLLATION_LIST",
}
#: SQLite pragmas whose bare form (no argument) only reads the current value.
VALUE_PRAGMAS = {"QUERY_ONLY", "FOREIGN_KEYS", "JOURNAL_MODE", "USER_VERSION", "SCHEMA_VERSION",
                 "DATA_VERSION", "PAGE_SIZE", "PAGE_COUNT", "ENCODING"}


def normalize_sql(sql: object, context: object = None) -> str:
    """The statement exactly as the driver will send it, as a plain ``str``.

    A ``str`` subclass is read from its character buffer (what drivers send),
    never through an overridden ``__str__``; ``bytes`` are decoded as UTF-8 (the
    client encoding the console requires); a psycopg ``sql.Composable`` is
    rendered for the connection of the cursor in ``context`` (Django's
    ``execute_wrapper`` context). Anything else is refused with ``ValueError``.
    """
    if type(sql) is str:
        return sql
    if isinstance(sql, str):
        return str.__str__(sql)
    if isinstance(sql, (bytes, bytearray, memoryview)):
        try:
            return bytes(sql).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"the statement is not valid UTF-8 ({exc})") from None
    as_string = getattr(sql, "as_string", None)
    if callable(as_string):
        cursor = context.get("cursor") if isinstance(context, dict) else None
        raw = getattr(cursor, "connection", None)
        raw = getattr(raw, "connection", raw)  # Django's wrapper, or the driver's connection
        return normalize_sql(as_string(raw), context)
    raise ValueError(f"a statement of type {type(sql).__name__} is not SQL text")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class Lexing:
    """How one SQL dialect delimits strings, identifiers and comments."""

    name: str
    backslash_strings: bool = False  # a backslash escapes the next character in '...' (and "..." strings)
    e_strings: bool = False  # E'...' strings with backslash escapes (PostgreSQL)
    dollar_quotes: bool = False  # $tag$ ... $tag$ (PostgreSQL)
    nested_comments: bool = False  # /* /* */ */ (PostgreSQL)
    bracket_identifiers: bool = False  # [name] (SQLite)
    backtick_identifiers: bool = False  # `name` (SQLite, MySQL)
    double_quote_strings: bool = False  # "text" is a string (MySQL without ANSI_QUOTES)
    mysql_comments: bool = False  # '#' comments, '-- ' needs a space, /*! ... */ is executed
    unicode_escapes: bool = False  # U&"d\0061ta" identifiers and U&'...' strings (PostgreSQL)


SQLITE = Lexing("sqlite", bracket_identifiers=True, backtick_identifiers=True)
POSTGRESQL = Lexing("postgresql", e_strings=True, dollar_quotes=True, nested_comments=True, unicode_escapes=True)
POSTGRESQL_NONSTANDARD = Lexing("postgresql (standard_conforming_strings off)", backslash_strings=True,
                                e_strings=True, dollar_quotes=True, nested_comments=True, unicode_escapes=True)
MYSQL = Lexing("mysql", backslash_strings=True, backtick_identifiers=True, double_quote_strings=True,
               mysql_comments=True)
DIALECTS: dict[str, tuple[Lexing, ...]] = {
    "sqlite": (SQLITE,),
    "postgresql": (POSTGRESQL, POSTGRESQL_NONSTANDARD),
    "mysql": (MYSQL,),
}
ALL_LEXINGS = (SQLITE, POSTGRESQL, POSTGRESQL_NONSTANDARD, MYSQL)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # upper-cased word or identifier content, or a single punctuation character
    kind: str  # "word", "ident" (quoted identifier), "string" or "punct"

    @property
    def is_word(self) -> bool:
        return self.kind == "word"

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "ident")


def _with_non_ascii(ascii_chars: str) -> str:
    r"""A character class: ``ascii_chars`` and every non-ASCII character.

    Written as the complement of the ASCII characters left out: the same set as
    ``[A-Za-z_\x80-\U0010ffff]``, but a range up to U+10FFFF costs ``re`` about 10 ms to
    compile each time it appears (it walks the range), which was 60-180 ms of every start.
    """
    left_out = [c for c in map(chr, range(128)) if c not in ascii_chars]
    return "[^" + "".join(f"\\x{ord(c):02x}" for c in left_out) + "]"


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
#: A name's first character, the characters after it, and a dollar-quote tag's (no "$").
_NAME_START = _with_non_ascii(_LETTERS + "_")
_NAME_CHAR = _with_non_ascii(_LETTERS + _DIGITS + "_$")
_TAG_CHAR = _with_non_ascii(_LETTERS + _DIGITS + "_")

_WORD = re.compile(rf"{_NAME_START}{_NAME_CHAR}*")
_DOLLAR_TAG = re.compile(rf"\$({_NAME_START}{_TAG_CHAR}*)?\$")


#: The common cases in one match. Group 1: a run of text that never matters to the
#: verdict (whitespace, placeholders, numbers, operators and commas), dropped without
#: a token, which keeps statements with thousands of parameters fast. Group 2: a word.
#: Group 3: punctuation the classifier looks at. Anything else (quotes, comment
#: starts, brackets, dollar signs) takes the careful path below.
_SIMPLE = re.compile(
    rf"((?:\s+|%s(?!{_NAME_CHAR})|%\([A-Za-z0-9_]+\)s(?!{_NAME_CHAR})|[0-9]+(?:\.[0-9]+)?(?!{_NAME_CHAR})"
    rf"|[,+*<>:|&!~^@?{{}}\]%])+)"
    rf"|({_NAME_START}{_NAME_CHAR}*)"
    r"|([().;=])"
)
_QUOTED = {
    (quote, backslashes): re.compile(
        (f"{q}[^{q}\\\\]*(?:(?:{q}{q}|\\\\.)[^{q}\\\\]*)*{q}" if backslashes
         else f"{q}[^{q}]*(?:{q}{q}[^{q}]*)*{q}"),
        re.DOTALL,
    )
    for quote in ("'", '"', "`")
    for q in [re.escape(quote)]
    for backslashes in (False, True)
}


_STRING = _Token("", "string")


class _Unterminated(Exception):
    pass


class _Refused(Exception):
    pass


def tokenize(sql: str, lexing: Lexing = POSTGRESQL) -> list[_Token]:
    """Words, quoted identifiers and punctuation; string contents and comments are dropped."""
    tokens: list[_Token] = []
    append = tokens.append
    i, n = 0, len(sql)
    simple = _SIMPLE.match
    while i < n:
        m = simple(sql, i)
        if m is not None:
            kind = m.lastindex
            if kind == 2:
                append(_Token(m.group(2).upper(), "word"))
            elif kind == 3:
                append(_Token(m.group(3), "punct"))
            i = m.end()
            continue
        c = sql[i]
        if c == "'":
            e_string = lexing.e_strings and i > 0 and sql[i - 1] in "eE" and _e_prefixed(sql, i, tokens)
            if e_string:
                tokens.pop()  # the E of E'...' is part of the string, not a word
            i = _skip_quoted(sql, i, "'", lexing.backslash_strings or e_string)
            append(_STRING)
        elif _line_comment_at(sql, i, lexing):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            if lexing.mysql_comments and sql.startswith("/*!", i):
                raise _Refused("MySQL executes /*! ... */ comments")
            i = _skip_comment(sql, i, lexing.nested_comments)
        elif c in "'\"" and lexing.unicode_escapes and _u_prefixed(sql, i, tokens):
            tokens.pop()  # the U of U&"..." belongs to the name
            j = _skip_quoted(sql, i, c, False)
            body = sql[i + 1 : j - 1].replace(c + c, c)
            escape = "\\"
            m = _UESCAPE.match(sql, j)
            if m is not None:
                escape, j = m.group(1), m.end()
            if c == "'":
                append(_STRING)
            else:
                append(_Token(_unicode_unescape(body, escape).upper(), "ident"))
            i = j
        elif c == '"':
            if lexing.double_quote_strings:
                i = _skip_quoted(sql, i, '"', lexing.backslash_strings)
                tokens.append(_Token("", "string"))
            else:
                j = _skip_quoted(sql, i, '"', False)
                tokens.append(_Token(sql[i + 1 : j - 1].replace('""', '"').upper(), "ident"))
                i = j
        elif c == "`" and lexing.backtick_identifiers:
            j = _skip_quoted(sql, i, "`", False)
            tokens.append(_Token(sql[i + 1 : j - 1].replace("``", "`").upper(), "ident"))
            i = j
        elif c == "[" and lexing.bracket_identifiers:
            j = sql.find("]", i)
            if j < 0:
                raise _Unterminated("identifier")
            tokens.append(_Token(sql[i + 1 : j].upper(), "ident"))
            i = j + 1
        elif c == "$" and lexing.dollar_quotes and (m := _DOLLAR_TAG.match(sql, i)):
            tag = m.group(0)
            j = sql.find(tag, m.end())
            if j < 0:
                raise _Unterminated("dollar-quoted string")
            i = j + len(tag)
            tokens.append(_Token("", "string"))
        elif m := _WORD.match(sql, i):
            tokens.append(_Token(m.group(0).upper(), "word"))
            i = m.end()
        else:
            tokens.append(_Token(c, "punct"))
            i += 1
    return tokens


_UESCAPE = re.compile(r"\s*UESCAPE\s*'([^'\s0-9A-Fa-f+\"])'", re.IGNORECASE)


def _u_prefixed(sql: str, i: int, tokens: list[_Token]) -> bool:
    """True for the quote of ``U&"..."`` or ``U&'...'`` (``U&`` directly before it)."""
    return (i >= 2 and sql[i - 1] == "&" and sql[i - 2] in "uU" and bool(tokens) and tokens[-1] == _Token("U", "word")
            and (i < 3 or not (sql[i - 3].isalnum() or sql[i - 3] in "_$")))


def _unicode_unescape(body: str, escape: str) -> str:
    """The name PostgreSQL reads from the body of ``U&"..."`` (escapes ``\\XXXX``, ``\\+XXXXXX``, doubled escape)."""
    e = re.escape(escape)
    pattern = re.compile(e + r"(?:(" + e + r")|\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))")

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return escape
        code = int(m.group(2) or m.group(3), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _Refused("invalid Unicode escape in a U& name")
        return chr(code)

    decoded = pattern.sub(one, body)
    if escape in pattern.sub("", body):
        raise _Refused("invalid Unicode escape in a U& name")
    return decoded


def _line_comment_at(sql: str, i: int, lexing: Lexing) -> bool:
    if lexing.mysql_comments:  # '# ...', and '-- ' only with whitespace after it ('--1' is minus minus one)
        return sql[i] == "#" or (sql.startswith("--", i) and (i + 2 >= len(sql) or sql[i + 2].isspace()))
    return sql.startswith("--", i)


def _e_prefixed(sql: str, i: int, tokens: list[_Token]) -> bool:
    """True for the quote of ``E'...'`` (the E directly before it, alone as a word)."""
    return i > 0 and sql[i - 1] in "eE" and bool(tokens) and tokens[-1] == _Token("E", "word")


def _skip_comment(sql: str, i: int, nested: bool) -> int:
    depth, j, n = 0, i, len(sql)
    while j < n:
        if sql.startswith("/*", j):
            depth = depth + 1 if nested or depth == 0 else depth
            j += 2
        elif sql.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    raise _Unterminated("comment")


def _skip_quoted(sql: str, i: int, quote: str, backslashes: bool) -> int:
    """End of the literal or quoted identifier starting at ``i`` (doubled quotes, and with
    ``backslashes`` a backslash-escaped character, stay inside)."""
    m = _QUOTED[(quote, backslashes)].match(sql, i)
    if m is None:
        raise _Unterminated("quoted string" if quote == "'" else "quoted identifier")
    return m.end()


def classify(sql: str, many: bool = False, vendor: str | None = None) -> Verdict:
    """Decide whether ``sql`` is a pure read on ``vendor``. Unknown or odd input is refused.

    ``vendor`` is Django's ``connection.vendor``; None (or an unknown vendor)
    checks the statement under every lexing known here.
    """
    return classify_with(sql, many=many, vendor=vendor)


def classify_with(sql: str, *, many: bool = False, vendor: str | None = None,
                  lexings: tuple[Lexing, ...] | None = None) -> Verdict:
    """:func:`classify` with the lexings given explicitly (the read-only layer knows the
    server's ``standard_conforming_strings``); it must be a read under each of them."""
    if many:
        return Verdict(False, _first_word(sql) or "EXECUTEMANY", "executemany always writes")
    verdict = Verdict(False, "EMPTY", "empty statement")
    for lexing in lexings or DIALECTS.get(vendor or "", ALL_LEXINGS):
        verdict = _classify_with(sql, lexing)
        if not verdict.allowed:
            return verdict
    return verdict


def _classify_with(sql: str, lexing: Lexing) -> Verdict:
    # Memoized for statements of ordinary length: a verdict depends on the text and the lexing alone (both
    # immutable, the verdict too), and the console sends the same texts again and again with other
    # parameters (each page of a list: tokenizing it was 0.5 ms of a 4 ms page).
    # Only an exact ``str`` is remembered: a subclass could hash and compare equal to a text already
    # judged a read while saying something else.
    if type(sql) is str and len(sql) <= 8192:
        return _classify_remembered(sql, lexing)
    return _classify_text(sql, lexing)


@functools.lru_cache(maxsize=512)
def _classify_remembered(sql: str, lexing: Lexing) -> Verdict:
    return _classify_text(sql, lexing)


def _classify_text(sql: str, lexing: Lexing) -> Verdict:
    try:
        tokens = tokenize(sql, lexing)
    except _Unterminated as exc:
        return Verdict(False, _first_word(sql) or "STATEMENT", f"unterminated {exc}")
    except _Refused as exc:
        return Verdict(False, _first_word(sql) or "STATEMENT", str(exc))
    # Several statements in one call: anything but more ';' after a ';'.
    for idx, tok in enumerate(tokens):
        if tok.text == ";" and tok.kind == "punct" and any(t.text != ";" for t in tokens[idx + 1 :]):
            return Verdict(False, _kind(tokens), "several statements in one call")
    tokens = [t for t in tokens if not (t.kind == "punct" and t.text == ";")]
    return _classify_tokens(tokens, lexing)


def _first_word(sql: str) -> str | None:
    m = _WORD.search(sql)
    return m.group(0).upper() if m else None


def _kind(tokens: list[_Token]) -> str:
    for t in tokens:
        if t.is_word:
            return t.text
    return "STATEMENT"


def _classify_tokens(tokens: list[_Token], lexing: Lexing) -> Verdict:
    while tokens and tokens[0].kind == "punct" and tokens[0].text == "(":
        tokens = tokens[1:]
    if not tokens:
        return Verdict(False, "EMPTY", "empty statement")
    first = tokens[0].text if tokens[0].is_word else "STATEMENT"
    if first == "EXPLAIN":
        return _classify_explain(tokens[1:], lexing)
    if first == "PRAGMA" and lexing is SQLITE:
        return _classify_pragma(tokens[1:])
    if first == "COPY":
        if any(t.is_word and t.text == "PROGRAM" for t in tokens):
            return Verdict(False, "COPY ... PROGRAM", "it runs a shell command on the database server")
        return Verdict(False, "COPY", "it reads or writes files and tables in bulk")
    if first not in READ_STARTS:
        return Verdict(False, first, "only reads are allowed")
    words = [t.text for t in tokens if t.kind == "word"]
    joined = f" {' '.join(words)} "
    for clause in LOCK_CLAUSES:
        if f" {clause} " in joined:
            return Verdict(False, f"SELECT ... {clause}", "row locks are writes")
    for k, tok in enumerate(tokens):
        if tok.text in WRITE_WORDS and tok.kind == "word":
            called = k + 1 < len(tokens) and tokens[k + 1].text == "(" and tokens[k + 1].kind == "punct"
            if tok.text in WRITE_WORDS_THAT_ARE_ALSO_FUNCTIONS and called:
                continue
            where = "inside WITH" if first == "WITH" else "inside the statement"
            return Verdict(False, tok.text, f"data-modifying statement {where}")
    if " INTO " in joined:
        return Verdict(False, "SELECT INTO", "it creates a table or writes a file")
    for k in range(len(tokens) - 1):
        tok, nxt = tokens[k], tokens[k + 1]
        if nxt.text == "(" and nxt.kind == "punct" and tok.is_name and STATEFUL_FUNCTIONS.match(tok.text):
            return Verdict(False, f"{tok.text.lower()}()", "the function changes database state")
    return Verdict(True, first)


def _classify_pragma(rest: list[_Token]) -> Verdict:
    names = [t for t in rest if t.is_name]
    if any(t.kind == "punct" and t.text == "=" for t in rest) or not names:
        return Verdict(False, "PRAGMA", "only reads are allowed")
    # PRAGMA [schema.]name[(argument)]
    shape = [t.text if t.kind == "punct" else t.kind for t in rest]
    if shape[:2] in (["word", "."], ["ident", "."]):
        rest, shape = rest[2:], shape[2:]
    if not rest or not rest[0].is_word:
        return Verdict(False, "PRAGMA", "only reads are allowed")
    name = rest[0].text
    if shape[1:] == [] and (name in INTROSPECTION_PRAGMAS or name in VALUE_PRAGMAS):
        return Verdict(True, "PRAGMA")
    if (name in INTROSPECTION_PRAGMAS and len(shape) == 4 and shape[1] == "(" and shape[3] == ")"
            and rest[2].kind in ("word", "ident", "string")):
        return Verdict(True, "PRAGMA")
    return Verdict(False, "PRAGMA", "only reads are allowed")


def _classify_explain(rest: list[_Token], lexing: Lexing) -> Verdict:
    # EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN (opt [, ...]) stmt | EXPLAIN QUERY PLAN stmt (SQLite)
    words: list[str] = []
    i = 0
    if rest and rest[0].kind == "punct" and rest[0].text == "(":
        depth = 0
        while i < len(rest):
            t = rest[i]
            if t.text == "(" and t.kind == "punct":
                depth += 1
            elif t.text == ")" and t.kind == "punct":
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
    inner = _classify_tokens(rest[i:], lexing)
    if not inner.allowed:
        return Verdict(False, f"EXPLAIN {inner.kind}", inner.reason)
    return Verdict(True, "EXPLAIN")
