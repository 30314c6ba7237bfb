"""Trap records: fictitious customers unique to an export, found again in any column."""

from __future__ import annotations

from decimal import Decimal

from clientfolio.ingest.values import luhn_valid
from clientfolio.protect.fingerprint import canonical
from clientfolio.protect.traps import CellIndex, TrapHit, find_traps, insert_traps, make_traps

SECRET = b"s" * 32
COLUMNS = ("code", "name", "siren", "region", "city", "revenue_12m")
ROWS = [
    {
        "code": f"C{i:05d}",
        "name": f"Garage Martin {i} SARL",
        "siren": f"{300000000 + i}",
        "region": "IDF" if i % 2 else "ARA",
        "city": "Paris" if i % 2 else "Lyon",
        "revenue_12m": Decimal("100.00"),
    }
    for i in range(1, 41)
]


def test_traps_are_drawn_from_the_secret_and_the_export() -> None:
    first = make_traps(SECRET, "E1", ROWS, 3)
    assert make_traps(SECRET, "E1", ROWS, 3) == first
    assert {t.siren for t in make_traps(SECRET, "E2", ROWS, 3)}.isdisjoint({t.siren for t in first})
    assert make_traps(SECRET, "E1", [], 3) == [] and make_traps(SECRET, "E1", ROWS, 0) == []


def test_traps_look_like_the_rows_but_exist_nowhere_else() -> None:
    earlier = make_traps(SECRET, "E0", ROWS, 5)
    traps = make_traps(
        SECRET, "E1", ROWS, 5, taken_names=[t.name for t in earlier], taken_sirens=[t.siren for t in earlier]
    )
    codes, names = {r["code"] for r in ROWS}, {canonical(str(r["name"])) for r in ROWS}
    assert len(traps) == 5
    for trap in traps:
        assert trap.code not in codes and len(trap.code) == 6 and trap.code.startswith("C")
        # numbered among the real codes (1-40) or just after them, not far away
        assert 1 <= int(trap.code[1:]) <= 40 + 2 * 20
        assert canonical(trap.name) not in names and trap.name.startswith("Garage ")
        assert trap.name.rsplit(" ", 1)[1] in ("SARL", "SAS", "SA")
        assert luhn_valid(trap.siren) and len(trap.siren) == 9
        assert trap.siren not in {t.siren for t in earlier}
        assert canonical(trap.name) not in {canonical(t.name) for t in earlier}
        assert (trap.shape["region"], trap.shape["city"]) in {("IDF", "Paris"), ("ARA", "Lyon")}
        assert trap.row(COLUMNS) == {
            "code": trap.code,
            "name": trap.name,
            "siren": trap.siren,
            "region": trap.shape["region"],
            "city": trap.shape["city"],
            "revenue_12m": Decimal(trap.revenue or ""),
        }
        # a plausible revenue: another real row's, give or take 20 %, never a tell-tale zero
        assert Decimal("80.00") <= Decimal(trap.revenue or "0") <= Decimal("120.00")


def test_traps_are_inserted_among_the_rows_in_order() -> None:
    traps = make_traps(SECRET, "E1", ROWS, 3)
    body = insert_traps(SECRET, "E1", ROWS, traps, COLUMNS)
    assert len(body) == len(ROWS) + 3
    assert [r for r in body if r["code"] not in {t.code for t in traps}] == ROWS
    assert body == insert_traps(SECRET, "E1", ROWS, traps, COLUMNS)


def test_a_trap_is_found_by_its_siren_or_its_name_in_any_spelling() -> None:
    a, b, c = make_traps(SECRET, "E1", ROWS, 3)
    dotted = a.name[: -len(a.name.rsplit(" ", 1)[1])] + ".".join(a.name.rsplit(" ", 1)[1]) + "."
    cells = CellIndex(["Garage Martin 1 SARL", dotted.upper(), b.siren, "12"])
    assert find_traps([a, b, c], cells) == [TrapHit(a.code, ("name",)), TrapHit(b.code, ("siren",))]
    assert find_traps([c], cells) == []


def test_traps_never_reuse_a_code_of_the_store() -> None:
    # the export holds the odd customers only; the even ones (another region) exist in the store
    exported = ROWS[0::2]
    elsewhere = [str(r["code"]) for r in ROWS[1::2]]
    traps = make_traps(SECRET, "E1", exported, 10, taken_codes=elsewhere)
    assert not {t.code for t in traps} & ({str(r["code"]) for r in ROWS})
    # without the store's codes the gaps between the exported codes would be reused
    assert {t.code for t in make_traps(SECRET, "E1", exported, 10)} & set(elsewhere)
