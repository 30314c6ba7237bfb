"""Every message a user can meet is a message of the catalogs, with its French.

Babel extracts the messages of the code as ``pybabel extract`` would: the
gettext keywords, ``N_`` and ``tr``, the error classes (``ClientfolioError``
and its subclasses, wherever defined) used as calls, in the Python modules and
the Jinja2 templates.  Each must have a French entry in ``i18n/fr/*.po``; and no
message site may pass an f-string, which cannot be translated (Babel skips it
with a warning on stderr: "Skipping f-string with substitutions")."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import clientfolio

SRC = Path(clientfolio.__file__).parent
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
SKIPPED_FSTRING = re.compile(r"^(?P<where>\S+?:\d+): warning: Skipping f-string", re.M)


def error_classes() -> set[str]:
    """The names of ``ClientfolioError`` and of every class of the package that
    derives from it (directly or not)."""
    bases: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                bases.setdefault(node.name, set()).update(names)
    found = {"ClientfolioError"}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found
        found |= more


def french_msgids() -> set[str]:
    known: set[str] = set()
    for path in (SRC / "i18n" / "fr").glob("*.po"):
        with path.open("rb") as f:
            for message in read_po(f):
                if message.id:
                    known.add(message.id if isinstance(message.id, str) else message.id[0])
    return known


def extracted() -> tuple[dict[str, str], list[str]]:
    """The messages extracted (message -> first ``file:line``) and the sites of
    the f-strings Babel skipped."""
    keywords = dict(DEFAULT_KEYWORDS, N_=None, tr=None, **dict.fromkeys(error_classes()))
    messages: dict[str, str] = {}
    warned = io.StringIO()
    with contextlib.redirect_stderr(warned):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(SRC), method_map=METHODS, keywords=keywords, options_map=OPTIONS
        ):
            key = message if isinstance(message, str) else message[0]
            if key:
                messages.setdefault(key, f"{filename}:{lineno}")
    fstrings = [
        str(Path(m["where"]).relative_to(SRC)) if Path(m["where"]).is_absolute() else m["where"]
        for m in SKIPPED_FSTRING.finditer(warned.getvalue())
    ]
    return messages, fstrings


def test_error_classes_are_found() -> None:
    assert {"ClientfolioError", "KeyMissing", "ExportRefused", "ConfigError", "FileLimitExceeded"} <= error_classes()


def test_every_message_has_its_french() -> None:
    messages, _ = extracted()
    assert "no sales to analyse" in messages  # the extraction sees the error classes' messages
    known = french_msgids()
    missing = sorted(
        f"{where}: {message!r}"
        for message, where in messages.items()
        if message not in known and re.search("[A-Za-z]", message)
    )
    assert not missing, f"{len(missing)} message(s) without French in i18n/fr/*.po:\n" + "\n".join(missing)


def test_no_fstring_at_a_message_site() -> None:
    _, fstrings = extracted()
    assert not fstrings, (
        f"{len(fstrings)} f-string(s) passed where a message is expected (they cannot be translated: "
        'write `Error("... {x} ...", x=x)` or `tr("... {x} ...", x=x)`):\n' + "\n".join(sorted(fstrings))
    )


def test_a_core_error_in_french() -> None:
    from clientfolio.errors import BackupRefused, KeyMissing

    refused = BackupRefused("{store} holds {rows} rows: confirm to replace them (force)", store="x.db", rows=12345)
    assert str(refused) == "x.db holds 12,345 rows: confirm to replace them (force)"
    assert refused.in_language("fr") == "x.db contient 12\u202f345 lignes : confirmez pour les remplacer (forcer)"
    missing = KeyMissing("key {key_id} is {state_msg}", key_id="5", state_msg="not in the key ring")
    assert str(missing) == "key 5 is not in the key ring"
    assert missing.in_language("fr") == "la clé 5 est absente du trousseau"
