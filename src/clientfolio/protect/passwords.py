"""Password hashing (argon2id) and the password policy.

Hashing follows the OWASP Password Storage Cheat Sheet's first argon2id
configuration: m = 19 MiB (19456 KiB), t = 2 iterations, p = 1, a 16-byte
salt and a 32-byte tag, through argon2-cffi's ``PasswordHasher``.  A hash made
with other parameters still verifies; ``needs_rehash`` tells the login to
store a new one.

The policy follows NIST SP 800-63B section 5.1.1.2, without composition rules:

- 12 to 128 characters (Unicode NFKC, counted as characters);
- not a common password, nor a common password, keyboard walk or repetition
  with digits or punctuation around it (``Password2024!``, ``azerty123456``);
  the list is ``common_passwords.txt`` beside this module, compared without
  case and after undoing the usual character swaps (``p@ssw0rd``);
- not a keyboard walk or sequence (``qwertyuiop``, ``azertyuiop``,
  ``123456789012``, ``abcdefghijkl``) nor a short pattern repeated
  (``aaaaaaaaaaaa``, ``abcabcabcabc``);
- not containing the user name, the email's local part or ``clientfolio``.
"""

from __future__ import annotations

import os
import string
import unicodedata
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clientfolio.errors import PasswordRejected

__all__ = [
    "HASHER",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "check_password",
    "dummy_verify",
    "hash_password",
    "needs_rehash",
    "password_problems",
    "reasons_in",
    "verify_password",
]

MIN_LENGTH = 12
MAX_LENGTH = 128
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16)
"""argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1)."""

# keyboard rows (AZERTY, QWERTY, QWERTZ, read row after row), digits and the alphabet
_SEQUENCES = (
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "&é\"'(-è_çà",  # the AZERTY digit row without shift
)
_STEPS = frozenset(
    pair for seq in _SEQUENCES for a, b in zip(seq, seq[1:] + seq[0], strict=True) for pair in ((a, b), (b, a))
)
_SWAPS = str.maketrans(
    {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t", "€": "e"}
)
_AROUND = string.digits + string.punctuation + " "


@cache
def _common() -> frozenset[str]:
    text = files("clientfolio.protect").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _is_walk(text: str) -> bool:
    return len(text) >= 4 and all((a, b) in _STEPS for a, b in zip(text, text[1:], strict=False))


def _is_repetition(text: str) -> bool:
    return len(text) >= 4 and any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 5)
    )


def _collapse(text: str) -> str:
    """``text`` with every run of one repeated character kept once (``azzzerty``: ``azerty``)."""
    return "".join(c for i, c in enumerate(text) if i == 0 or c != text[i - 1])


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def _made_of_weak_words(letters: str, names: set[str], *, most: int = 3) -> bool:
    """Whether ``letters`` is the concatenation of at most ``most`` weak words: common
    passwords, keyboard walks or sequences (4+), the user's or company's names."""
    if not letters:
        return False
    common = _common()
    # fewest pieces to cover letters[:i]
    best = [0] + [most + 1] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(end):
            if best[start] >= most:
                continue
            piece = letters[start:end]
            if (
                (piece in common and len(piece) >= 4)
                or piece in names
                or _is_walk(piece)
                or (
                    len(piece) >= 4
                    and any(
                        len(piece) % k == 0 and piece == piece[:k] * (len(piece) // k)
                        for k in range(1, min(5, len(piece)))
                    )
                )
            ):
                best[end] = min(best[end], best[start] + 1)
    return best[-1] <= most


def password_problems(
    password: str, *, username: str | None = None, email: str | None = None, company: str | None = None
) -> list[str]:
    """Why ``password`` breaks the policy (empty list: it is acceptable).

    Compared after normalising: case folded, the usual character swaps undone
    (``p@ssw0rd``), runs of a repeated character collapsed (``azzzerty``); a
    password whose letters are only one to three weak words (common passwords,
    keyboard walks, the user name, the email, the company's name), whatever the
    digits and punctuation between them (8 at most: more carry entropy of their
    own) (``Azerty123!Azerty``, ``Soleil2024Soleil``),
    is refused too.  ``company``: default the setting ``CLIENTFOLIO_COMPANY_NAME``."""
    text = unicodedata.normalize("NFKC", password)
    if len(text) < MIN_LENGTH:
        return [f"at least {MIN_LENGTH} characters"]
    if len(text) > MAX_LENGTH:
        return [f"at most {MAX_LENGTH} characters"]
    lower = text.lower()
    problems: list[str] = []
    core = lower.strip(_AROUND)
    forms = {lower, core, lower.translate(_SWAPS), core.translate(_SWAPS)} - {""}
    candidates = forms | {_collapse(c) for c in forms}
    if candidates & _common():
        problems.append("a common password (or one with digits around it)")
    if any(_is_walk(c) for c in (lower, core, _collapse(core))):
        problems.append("a keyboard or alphabet sequence")
    if any(_is_repetition(c) for c in (lower, core)):
        problems.append("a repeated character or pattern")
    names = {"clientfolio"}
    if username and len(username) >= 3:
        names.add(username.lower())
    if email and len(local := email.split("@", 1)[0]) >= 3:
        names.add(local.lower())
    if company is None:
        company = os.environ.get("CLIENTFOLIO_COMPANY_NAME", "")
    company_words = {w for w in (_letters(part) for part in company.lower().split()) if len(w) >= 4}
    if company and len(_letters(company.lower())) >= 3:
        company_words.add(_letters(company.lower()))
    if any(name in lower or name in lower.translate(_SWAPS) for name in names):
        problems.append("contains the user name, the email or the application's name")
    elif any(word in _letters(c) for c in forms for word in company_words):
        problems.append("contains the company's name")
    if not problems and len(lower) - len(_letters(lower)) <= 8:  # the digits and signs add little
        weak = {_letters(n) for n in names} | company_words
        if any(
            _made_of_weak_words(form, weak)
            for c in (lower, lower.translate(_SWAPS))
            for form in {_letters(c), _collapse(_letters(c))}
        ):
            problems.append("only common words or keyboard patterns, with digits or signs between them")
    return problems


REASONS_FR = {
    f"at least {MIN_LENGTH} characters": f"au moins {MIN_LENGTH} caractères",
    f"at most {MAX_LENGTH} characters": f"au plus {MAX_LENGTH} caractères",
    "a common password (or one with digits around it)": "un mot de passe courant (ou entouré de chiffres)",
    "a keyboard or alphabet sequence": "une suite de touches du clavier ou de l'alphabet",
    "a repeated character or pattern": "un caractère ou un motif répété",
    "contains the user name, the email or the application's name": (
        "contient l'identifiant, l'adresse e-mail ou le nom de l'application"
    ),
    "contains the company's name": "contient le nom de l'entreprise",
    "only common words or keyboard patterns, with digits or signs between them": (
        "uniquement des mots courants ou des suites de touches, séparés par des chiffres ou des signes"
    ),
}
"""The French text of each reason of ``password_problems``."""


def reasons_in(reasons: list[str], lang: str) -> str:
    """``reasons`` as one message in ``lang`` (``fr`` or ``en``)."""
    if lang == "fr":
        return "mot de passe refusé : " + " ; ".join(REASONS_FR.get(r, r) for r in reasons)
    return "password refused: " + "; ".join(reasons)


def check_password(
    password: str, *, username: str | None = None, email: str | None = None, company: str | None = None
) -> None:
    """Raise ``PasswordRejected`` (with the reasons) when ``password`` breaks the policy."""
    problems = password_problems(password, username=username, email=email, company=company)
    if problems:
        raise PasswordRejected(problems)


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``; no policy check."""
    return HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``hashed`` (False on a malformed hash)."""
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash("no such user: the time of a real verification")


def dummy_verify(password: str) -> bool:
    """Verify ``password`` against a throw-away hash (always False), so that a
    login for an unknown user takes as long as one for a known user."""
    return verify_password(_dummy_hash(), password)


def needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with other parameters than ``HASHER``'s."""
    try:
        return HASHER.check_needs_rehash(hashed)
    except InvalidHashError:
        return True
