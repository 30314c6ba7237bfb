"""Password policy (NIST SP 800-63B, no composition rules) and argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from clientfolio.errors import PasswordRejected
from clientfolio.protect import passwords
from clientfolio.protect.passwords import (
    check_password,
    dummy_verify,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)

COMMON = "a common password (or one with digits around it)"
WALK = "a keyboard or alphabet sequence"
REPEAT = "a repeated character or pattern"
NAMED = "contains the user name, the email or the application's name"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "mangerdespommesvertes",  # lower-case letters only: no composition rule
        "x7#kP9!mQ2$w",
        "vélo rouge sous la pluie",
        "Z83749201847",
    ],
)
def test_good_passwords_pass(password: str) -> None:
    assert password_problems(password, username="jleroy", email="julien.leroy@example.fr") == []


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("short", ["at least 12 characters"]),
        ("élan vital!", ["at least 12 characters"]),  # 11 characters, 13 bytes
        ("x" * 60 + "y" * 69, ["at most 128 characters"]),
        ("password1234", [COMMON]),
        ("P@ssw0rd2024!", [COMMON]),  # swapped characters, digits and punctuation around
        ("2024Marseille!!", [COMMON]),
        ("azertyuiop12", [COMMON, WALK]),
        ("qwertyuiopas", [WALK]),
        ("123456789012", [WALK]),
        ("abcdefghijkl", [WALK]),
        ("poiuytrezaqs", [WALK]),  # backwards
        ("aaaaaaaaaaaa", [REPEAT]),
        ("abcabcabcabc", [REPEAT]),
        ("199019901990", [REPEAT]),
        ("jleroy-is-my-name", [NAMED]),
        ("Julien.Leroy 2024 ok", [NAMED]),
        ("my clientfolio pass", [NAMED]),
    ],
)
def test_bad_passwords_are_refused_with_their_reasons(password: str, problems: list[str]) -> None:
    assert password_problems(password, username="jleroy", email="julien.leroy@example.fr") == problems


def test_check_password_raises_with_the_reasons() -> None:
    with pytest.raises(PasswordRejected) as caught:
        check_password("aaaaaaaaaaaa")
    assert caught.value.reasons == [REPEAT]
    assert str(caught.value) == f"password refused: {REPEAT}"
    check_password("correct horse battery staple")


@pytest.mark.usefixtures("owasp_hashes")
def test_hash_is_argon2id_with_the_owasp_parameters() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hashed != hash_password("correct horse battery staple")  # salted
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password("not a hash", "correct horse battery staple")
    assert not dummy_verify("correct horse battery staple")


@pytest.mark.usefixtures("owasp_hashes")
def test_hashes_made_with_other_parameters_need_a_rehash() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery staple")
    assert verify_password(weaker, "correct horse battery staple")
    assert needs_rehash(weaker)
    assert not needs_rehash(hash_password("x"))
    assert needs_rehash("garbage")


def test_the_common_list_ships_with_the_package() -> None:
    common = passwords._common()
    assert len(common) > 300
    assert {"123456", "password", "azerty", "motdepasse", "soleil"} <= common


# --- issue 14: weak words joined by digits or signs, the company's name, French reasons -------------------


@pytest.mark.parametrize(
    "weak",
    [
        "Azerty123!Azerty",
        "Soleil2024Soleil",
        "Marseille13!Azerty",
        "azzzzzerty1234",
        "P@ssw0rd2024!!",
        "Qwerty!!Qwerty99",
        "jleroy2024jleroy",
        "Durand-2024-Durand",
    ],
)
def test_weak_words_with_digits_between_are_refused(weak: str) -> None:
    assert password_problems(weak, username="jleroy", company="Durand Frères SARL"), weak


@pytest.mark.parametrize(
    "fine", ["a long enough passphrase", "correct horse battery staple", "la mer est calme ce soir", "Tr0ub4dor&3xyz"]
)
def test_passphrases_still_pass(fine: str) -> None:
    assert password_problems(fine, username="jleroy", company="Durand Frères SARL") == []


def test_the_company_name_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTFOLIO_COMPANY_NAME", "Boulangerie Vasseur")
    assert password_problems("vasseur et fils 1987") == ["contains the company's name"]
    monkeypatch.delenv("CLIENTFOLIO_COMPANY_NAME")
    assert password_problems("vasseur et fils 1987") == []


def test_a_french_reason() -> None:
    from clientfolio.protect.passwords import reasons_in

    reasons = password_problems("Azerty123!Azerty")
    assert reasons_in(reasons, "fr") == (
        "mot de passe refusé : uniquement des mots courants ou des suites de "
        "touches, séparés par des chiffres ou des signes"
    )
    assert reasons_in(reasons, "en").startswith("password refused: only common words")
