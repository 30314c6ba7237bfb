"""Sales activities come in: the ``activities`` import kind, ``log_activity``
and ``clientfolio activity log``, then the follow-up of the A / VIP customers
and the activity index computed on them (figures worked out by hand below).

The portfolio (tests/data/activities), analysed as of 2025-06-30 over 3 months
(2025-03-31 to 2025-06-30; ABC over the 12 months to 2025-06-30):

- revenue: C001 50,000, C002 25,000, C003 15,000, C004 6,000, C005 4,000 EUR
  (100,000).  ABC (A while the customers ahead make less than 80 %): C001
  (ahead 0 %), C002 (50 %), C003 (75 %) are A; C004 (90 %) B; C005 (96 %) C.
  VIP given: C004.  Important: C001, C002, C003, C004.
- revenue in the 3-month period: C001 50,000 (15/04), C002 25,000 (20/05),
  C004 6,000 (05/06); C003 (10/02) and C005 (01/03) are before it.
- prospects: P001 IPA (0.2 x 0 contact + 0.8 x 9) = 7.2, IPO 9: priority 1;
  P002 IPA 1.6, IPO 2: priority 4.  Priority targets: C001-C004 and P001.
- jdupont moves P001 cold -> warm on 2025-06-15: one conversion.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.access import SYSTEM, PipelineReader
from clientfolio.access.pipeline import move_prospect
from clientfolio.access.writes import OUTSIDE_SCOPE
from clientfolio.errors import ClientfolioError
from clientfolio.ingest import ImportRejected, import_file
from clientfolio.ingest.activities import NO_REP, SELF_ONLY, UNKNOWN_USER, parse_duration, parse_type
from clientfolio.ingest.sources import SourceOptions, open_table
from clientfolio.prospects.activity_log import log_activity
from clientfolio.prospects.run import ActivityView, activity_view
from clientfolio.protect.fields import is_token, open_field
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import create_user, principal_for, set_scopes
from clientfolio.store import Store
from clientfolio.store.schema import Activity, AuditEntry

DATA = Path(__file__).parent / "data" / "activities"
AS_OF = dt.date(2025, 6, 30)
TODAY = dt.date(2025, 7, 1)  # the day of the imports: later dates are refused
KEY = b"a" * 32
RING = KeyRing.for_tests(b"m" * 32)
PW = "correct horse battery staple"


def build(store: Store) -> Store:
    """Customers, invoices, prospects, three users, and P001's move by jdupont."""
    for name, kind in (("clients.csv", "customers"), ("factures.csv", "invoices"), ("prospects.csv", "prospects")):
        import_file(store, DATA / name, kind=kind, today=TODAY)
    for username, display, role in (
        ("jdupont", "Jean Dupont", "sales"),
        ("mmartin", "Marie Martin", "sales"),
        ("pdurand", "Pierre Durand", "manager"),
    ):
        create_user(store, username, PW, role, display_name=display, chain_key=KEY)
    set_scopes(store, "jdupont", regions=["IDF"], actor="admin", chain_key=KEY)
    set_scopes(store, "mmartin", regions=["ARA"], actor="admin", chain_key=KEY)
    move_prospect(store, principal_for(store, "jdupont"), "P001", "warm", on=dt.date(2025, 6, 15))
    return store


@pytest.fixture
def portfolio(store: Store) -> Store:
    return build(store)


def view(store: Store) -> ActivityView:
    return activity_view(store, SYSTEM, as_of=AS_OF, months=3, vip=["C004"])


def followed_share(v: ActivityView) -> float:
    """The share of the A / VIP customers contacted within 90 days."""
    return sum(not c.unfollowed for c in v.important) / len(v.important)


def stored(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Activity)).scalar_one())


def rejected(store: Store, name: str, **kw: object) -> list[tuple[int, str, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        import_file(store, DATA / name, kind="activities", today=TODAY, **kw)  # type: ignore[arg-type]
    return [(e.line, e.column, e.value, e.reason) for e in caught.value.errors]


def test_type_words_and_durations() -> None:
    assert [
        parse_type(w)
        for w in (
            "Appel",
            "appel téléphonique",
            "TEL",
            "Téléphone",
            "visite",
            "RDV terrain",
            "rendez-vous",
            "rdv",
            "Réunion",
            "meeting",
            "visio",
            "E-mail",
            "mail",
            "courriel",
            "devis",
            "offre",
            "proposition",
            "quote",
        )
    ] == [
        "call",
        "call",
        "call",
        "call",
        "visit",
        "visit",
        "meeting",
        "meeting",
        "meeting",
        "meeting",
        "meeting",
        "email",
        "email",
        "email",
        "quote",
        "quote",
        "quote",
        "quote",
    ]
    with pytest.raises(ValueError, match="appel.*visite.*rendez-vous.*e-mail.*devis"):
        parse_type("fax")
    assert [parse_duration(d) for d in ("30", "30 min", "1h30", "2 h", 45)] == [30, 30, 90, 120, 45]
    with pytest.raises(ValueError):
        parse_duration("2000")


def test_an_activities_file_is_recognised(tmp_path: Path) -> None:
    from clientfolio.ingest import guess_kind

    table = open_table(DATA / "activites.csv", SourceOptions(None, None, None, None))
    try:
        assert guess_kind(table) == "activities"
    finally:
        table.close()
    invoices = tmp_path / "ventes.csv"  # a date, a type, a rep AND an amount: not activities
    invoices.write_text(
        "N° facture;Date;Type;Commercial;Code client;Montant HT\nF1;01/02/2025;facture;jd;C1;10\n", encoding="utf-8"
    )
    table = open_table(invoices, SourceOptions(None, None, None, None))
    try:
        assert guess_kind(table) == "invoices"
    finally:
        table.close()


def test_imported_activities_feed_the_follow_up_and_the_index(portfolio: Store) -> None:
    before = view(portfolio)
    assert [c.customer_code for c in before.important] == ["C001", "C002", "C003", "C004"]
    assert followed_share(before) == 0.0  # no activity: nobody followed
    assert before.activity.reps == [] and before.activity.team.index == 0

    result = import_file(portfolio, DATA / "activites.csv", ring=RING, today=TODAY)  # kind guessed
    assert result.kind == "activities" and result.rows_read == 10
    assert result.created == {"activities": 10} and result.unchanged == {}
    assert result.columns == {
        "date": "Date",
        "rep": "Commercial",
        "customer_code": "Code client",
        "prospect_code": "Code prospect",
        "type": "Type d'action",
        "subject": "Objet",
        "outcome": "Compte rendu",
        "duration": "Durée",
    }

    after = view(portfolio)
    # Last contacts as of 2025-06-30 (unfollowed beyond 90 days): C001 20/06 (10 days), C002 20/05 (41),
    # C003 10/01 (171: unfollowed), C004 22/04 (69).  Followed: 3 of 4 = 75 %.
    days = {c.customer_code: (c.days_since, c.unfollowed) for c in after.important}
    assert days == {"C001": (10, False), "C002": (41, False), "C003": (171, True), "C004": (69, False)}
    assert followed_share(after) == 0.75
    assert next(c for c in after.important if c.customer_code == "C004").reasons == ("VIP",)

    report = after.activity
    assert (report.start, report.end) == (dt.date(2025, 3, 31), AS_OF)
    reps = {s.who: s for s in report.reps}
    assert list(reps) == ["jdupont", "mmartin", "pdurand"]
    # jdupont: 5 activities (C001 x2, C002, P001, C005); Q = 10 x 5 / (40 x 3) = 0.4167;
    # on targets 4 (C005 is C) -> O = 8; 1 conversion / 5 = 0.2 -> 0.8 of 0.25; revenue of C001, C002,
    # C005 in the period = 75,000 EUR, 15,000 per activity (> 3,000) -> 1; E = 10 x (0.5 x 0.8 + 0.5 x 1) = 9;
    # index = 0.4167 x 8 x 9 = 30.
    jd = reps["jdupont"]
    assert (jd.activities, jd.on_priority_targets, jd.conversions, jd.revenue_cents) == (5, 4, 1, 7_500_000)
    assert (jd.quantity, jd.orientation, jd.efficiency) == pytest.approx((5 / 12, 8.0, 9.0))
    assert jd.index == pytest.approx(30.0)
    # mmartin: 3 in the period (C004 x2, P002; the C003 visit of 10/01 is before); Q = 10 x 3 / 120 = 0.25;
    # on targets 2 (C004 VIP; P002 is priority 4) -> O = 6.667; no conversion; revenue of C004 6,000 EUR,
    # 2,000 per activity -> 2/3; E = 10 x 0.5 x 2/3 = 3.333; index = 0.25 x 6.667 x 3.333 = 5.556.
    mm = reps["mmartin"]
    assert (mm.activities, mm.on_priority_targets, mm.conversions, mm.revenue_cents) == (3, 2, 0, 600_000)
    assert (mm.quantity, mm.orientation, mm.efficiency, mm.index) == pytest.approx((0.25, 20 / 3, 10 / 3, 50 / 9))
    # pdurand: 1 (C001); Q = 10 / 120 = 0.0833; O = 10; E = 10 x 0.5 x 1 = 5 (50,000 EUR > 3,000); index 4.167.
    pd = reps["pdurand"]
    assert (pd.quantity, pd.orientation, pd.efficiency, pd.index) == pytest.approx((1 / 12, 10.0, 5.0, 25 / 6))
    # Team: 9 activities, 3 reps: Q = 10 x 9 / (40 x 3 x 3) = 0.25; on targets 4 + 2 + 1 = 7 -> O = 7.778;
    # 1 conversion / 9 = 0.111 -> 0.444 of 0.25; revenue C001 + C002 + C004 (+ C005: 0) = 81,000 EUR,
    # 9,000 per activity -> 1; E = 10 x (0.5 x 0.444 + 0.5) = 7.222; index = 0.25 x 7.778 x 7.222 = 14.04.
    team = report.team
    assert (team.activities, team.on_priority_targets, team.conversions, team.revenue_cents) == (9, 7, 1, 8_100_000)
    assert (team.quantity, team.orientation, team.efficiency) == pytest.approx((0.25, 70 / 9, 65 / 9))
    assert team.index == pytest.approx(0.25 * 70 / 9 * 65 / 9)  # 14.04
    assert team.levers[0].factor == "quantity"  # the lowest factor: +1 gives 1 x 7.778 x 7.222 = 56.2

    kinds = {(a.customer_code or a.prospect_code, a.kind) for a in PipelineReader(portfolio, SYSTEM).activities()}
    assert {
        ("C001", "call"),
        ("C001", "visit"),
        ("C002", "email"),
        ("P001", "meeting"),
        ("C005", "quote"),
        ("C004", "call"),
        ("C004", "meeting"),
        ("P002", "email"),
        ("C003", "visit"),
    } <= kinds
    with portfolio.engine.connect() as conn:
        row = conn.execute(
            select(Activity.id, Activity.outcome, Activity.duration_minutes).where(Activity.subject == "Point commande")
        ).one()
        visit = conn.execute(select(Activity.duration_minutes).where(Activity.subject == "Revue annuelle")).scalar()
    assert row.duration_minutes == 15 and visit == 90
    assert is_token(row.outcome)  # encrypted with the ring
    assert open_field(RING, "activities", row.id, "outcome", row.outcome) == "Satisfait des délais"


def test_importing_again_adds_only_the_surplus(portfolio: Store, tmp_path: Path) -> None:
    first = import_file(portfolio, DATA / "activites.csv", today=TODAY)
    assert first.created == {"activities": 10}
    again = import_file(portfolio, DATA / "activites.csv", today=TODAY)  # the same file: recognised
    assert again.already_imported and stored(portfolio) == 10
    copy = tmp_path / "copie.csv"  # the same rows in another file (CRLF): compared row by row
    copy.write_bytes((DATA / "activites.csv").read_bytes().replace(b"\n", b"\r\n"))
    same = import_file(portfolio, copy, today=TODAY)
    assert same.created == {} and same.unchanged == {"activities": 10} and stored(portfolio) == 10
    # pdurand's committee and jdupont's 05/05 call are stored once each (another outcome or duration
    # does not make another activity); the second identical call of 05/05 is the surplus: added.
    bis = import_file(portfolio, DATA / "activites_bis.csv", today=TODAY)
    assert bis.created == {"activities": 1} and bis.unchanged == {"activities": 2}
    assert stored(portfolio) == 11


def test_bad_rows_are_reported_and_nothing_is_written(portfolio: Store) -> None:
    errors = rejected(portfolio, "activites_erreurs.csv")
    assert [e[:3] for e in errors] == [
        (2, "Type d'action", "fax"),
        (3, "Commercial", "inconnu"),
        (4, "Code client", "C999"),
        (5, "Date", "31/12/2099"),
    ]
    reasons = [e[3] for e in errors]
    assert reasons[0].startswith("unknown activity type") and "appel" in reasons[0] and "devis" in reasons[0]
    assert reasons[1] == UNKNOWN_USER
    assert reasons[2] == "unknown customer: import the customers file first"
    assert reasons[3].startswith("date in the future (after 2025-07-01)")
    assert stored(portfolio) == 0  # the good line 6 is not written either
    # with --allow-future the date passes; the other rows are still refused
    assert [e[0] for e in rejected(portfolio, "activites_erreurs.csv", allow_future=True)] == [2, 3, 4]


def test_a_rep_logs_only_their_own_activities_in_their_scope(portfolio: Store) -> None:
    jdupont = principal_for(portfolio, "jdupont")  # sales, IDF
    with pytest.raises(ImportRejected) as caught:
        import_file(portfolio, DATA / "activites_hors_perimetre.csv", principal=jdupont, today=TODAY)
    assert [(e.line, e.column, e.value, e.reason) for e in caught.value.errors] == [
        (2, "Code client", "C003", OUTSIDE_SCOPE),  # C003 is in ARA
        (3, "Commercial", "mmartin", SELF_ONLY),
    ]
    assert stored(portfolio) == 0
    # the system actor is no user: a row without rep is refused
    assert [(e[0], e[3]) for e in rejected(portfolio, "activites_hors_perimetre.csv")] == [(2, NO_REP), (4, NO_REP)]
    # the manager (no scope) logs for the reps; an empty rep is the manager
    pdurand = principal_for(portfolio, "pdurand")
    result = import_file(portfolio, DATA / "activites_hors_perimetre.csv", principal=pdurand, today=TODAY)
    assert result.created == {"activities": 3}
    assert {a.user for a in PipelineReader(portfolio, SYSTEM).activities()} == {"pdurand", "mmartin"}


def test_log_activity(portfolio: Store) -> None:
    mmartin = principal_for(portfolio, "mmartin")
    logged = log_activity(
        portfolio,
        mmartin,
        kind="Appel",
        occurred_on="25/06/2025",
        customer_code="C003",
        subject="Relance",
        outcome="Rappeler en septembre",
        duration_minutes="20",
        ring=RING,
        chain_key=KEY,
        today=TODAY,
    )
    assert (logged.kind, logged.occurred_on, logged.user, logged.duration_minutes) == (
        "call",
        dt.date(2025, 6, 25),
        "mmartin",
        20,
    )
    with portfolio.engine.connect() as conn:
        outcome = conn.execute(select(Activity.outcome).where(Activity.id == logged.id)).scalar_one()
        audit = conn.execute(
            select(AuditEntry.actor, AuditEntry.target, AuditEntry.details).where(AuditEntry.action == "activity.log")
        ).one()
    assert open_field(RING, "activities", logged.id, "outcome", outcome) == "Rappeler en septembre"
    assert audit.actor == "mmartin" and audit.target == "C003"
    assert json.loads(audit.details)["kind"] == "call" and "Relance" not in audit.details
    for kw, message in (
        ({"customer_code": "C001"}, OUTSIDE_SCOPE),  # IDF
        ({"customer_code": "C003", "user": "jdupont"}, SELF_ONLY),
        ({"customer_code": "C003", "kind": "fax"}, "unknown activity type"),
        ({"customer_code": "C003", "occurred_on": "2025-07-02"}, r"date 2025-07-02 is after today \(2025-07-01\)"),
        ({"customer_code": "C003", "prospect_code": "P002"}, "give a customer or a prospect"),
        ({}, "give a customer or a prospect"),
    ):
        args = {"kind": "visite", "occurred_on": "2025-06-20", **kw}
        with pytest.raises(ClientfolioError, match=message):
            log_activity(portfolio, mmartin, today=TODAY, **args)  # type: ignore[arg-type]
    with pytest.raises(ClientfolioError, match="unknown user"):
        log_activity(
            portfolio, SYSTEM, kind="visite", occurred_on="2025-06-20", customer_code="C003", user="nobody", today=TODAY
        )
    assert stored(portfolio) == 1


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))
    url = f"sqlite:///{tmp_path}/cli.db"
    store = Store(url)
    build(store)
    shutil.copy(DATA / "activites.csv", tmp_path / "activites.csv")
    import_file(store, tmp_path / "activites.csv", today=TODAY)
    store.dispose()
    yield url


def test_the_activity_log_command(cli_db: str) -> None:
    def run(*args: str) -> object:
        return CliRunner().invoke(cli.app, list(args))

    def followed() -> list[tuple[str, bool]]:
        shown = run("activity", "--db", cli_db, "--as-of", "2025-06-30", "--months", "3", "--json")
        assert shown.exit_code == 0, shown.output  # type: ignore[attr-defined]
        data = json.loads(shown.stdout)  # type: ignore[attr-defined]
        return [(c["customer_code"], c["unfollowed"]) for c in data["important_customers"]]

    # without VIP (the command finds none here): the A customers C001, C002, C003; C003 unfollowed (171 days)
    assert followed() == [("C003", True), ("C002", False), ("C001", False)]
    result = run(
        "activity",
        "log",
        "--db",
        cli_db,
        "--customer",
        "C003",
        "--type",
        "appel",
        "--date",
        "2025-06-25",
        "--rep",
        "mmartin",
        "--subject",
        "Relance",
        "--outcome",
        "Commande en juillet",
        "--duration",
        "20",
        "--as",
        "mmartin",
        "--json",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    logged = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (logged["logged"], logged["kind"], logged["occurred_on"], logged["customer_code"], logged["user"]) == (
        True,
        "call",
        "2025-06-25",
        "C003",
        "mmartin",
    )
    # C003 last contacted 5 days before 2025-06-30: every A customer is followed now (3 of 3)
    assert followed() == [("C002", False), ("C001", False), ("C003", False)]

    refused = run(
        "activity",
        "log",
        "--db",
        cli_db,
        "--customer",
        "C001",
        "--type",
        "visite",
        "--date",
        "2025-06-25",
        "--as",
        "mmartin",
    )
    assert refused.exit_code == 1 and OUTSIDE_SCOPE in " ".join(refused.stderr.split())  # type: ignore[attr-defined]
    plain = run(
        "activity",
        "log",
        "--db",
        cli_db,
        "--prospect",
        "P001",
        "--type",
        "devis",
        "--date",
        "2025-06-26",
        "--rep",
        "Jean Dupont",
    )
    assert plain.exit_code == 0  # type: ignore[attr-defined]
    assert "quote on 26 Jun 2025 with prospect P001 by jdupont" in plain.stdout  # type: ignore[attr-defined]
    store = Store(cli_db)
    try:
        assert stored(store) == 12
    finally:
        store.dispose()


@pytest.mark.postgres
def test_a_rep_logs_under_row_level_security(pg_url: str, tmp_path: Path) -> None:
    from tests.conftest import ordinary_role

    owner = build(Store(pg_url))
    with ordinary_role(pg_url, write=True) as url:
        store = Store(url)
        try:
            jdupont = principal_for(owner, "jdupont")
            with pytest.raises(ImportRejected) as caught:
                import_file(store, DATA / "activites_hors_perimetre.csv", principal=jdupont, today=TODAY)
            assert [(e.line, e.reason) for e in caught.value.errors] == [(2, OUTSIDE_SCOPE), (3, SELF_ONLY)]
            mine = tmp_path / "miennes.csv"
            mine.write_text("Date;Code client;Type\n05/05/2025;C001;appel\n06/05/2025;C002;visite\n", encoding="utf-8")
            assert import_file(store, mine, kind="activities", principal=jdupont, today=TODAY).created == {
                "activities": 2
            }
            logged = log_activity(
                store,
                jdupont,
                kind="mail",
                occurred_on="2025-06-01",
                customer_code="C005",
                ring=RING,
                chain_key=KEY,
                today=TODAY,
            )
            assert logged.user == "jdupont"
            with pytest.raises(ClientfolioError, match="outside your scope"):
                log_activity(store, jdupont, kind="mail", occurred_on="2025-06-01", customer_code="C003", today=TODAY)
        finally:
            store.dispose()
    assert stored(owner) == 3
    owner.dispose()
