"""The readable parts of an evidence pack (``protect.evidence``): ``VERIFY.md``
and the PDF summary, in French or English (the catalogs, ``i18n/fr/evidence.po``).

The PDF is set with fpdf2 in Open Sans from the ``ttf-opensans`` package, as
the report's PDF is (``report.pdf``, a layer above: its set-up is repeated
here, not imported), so French accents print everywhere; commands are set in
Courier (plain ASCII).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clientfolio.audit_log import ACTION_NAMES
from clientfolio.i18n import N_, formatter, gettext_for, render
from clientfolio.pdf_text import FAMILY, A4Document, pdf_safe
from clientfolio.protect.exports import COLUMN_NAMES

__all__ = ["METHOD", "PackFacts", "pdf_bytes", "probability_text", "verify_markdown"]


METHOD = N_(
    "For each family of marks, k of the n marks found carry the export's writing; in a file not made from that "
    "export, k follows the binomial law B(n, 1/2). The probability by chance is the smallest two-sided binomial "
    "tail among the families, times the number of families; the probability of a wrong attribution is that "
    "probability times the number of exports checked, at most 1 (Bonferroni bound): the chance that some other "
    "export scores as well. An export is implicated below {threshold}, or when its trap records (fictitious "
    "customers unique to it) are in the file."
)


@dataclass(frozen=True)
class PackFacts:
    """What the pack states: the leaked file, the exports (``export.json``
    records), the marks (``marks.json``), the audit extract, the whole log's
    verification at pack time and the signing key's public name."""

    lang: str
    made_at: dt.datetime
    made_by: str
    leaked_name: str
    leaked_copy: str
    leaked_sha256: str
    exports: tuple[dict[str, Any], ...]
    marks: dict[str, Any]
    audit: tuple[dict[str, Any], ...]
    chain_ok: bool
    chain_head: tuple[int | None, str | None]
    key_fingerprint: str


def probability_text(log10_p: float, lang: str) -> str:
    """A probability from its log10 as the trace shows it (``1,2e-45`` in French)."""
    shown = f"{10**log10_p:.2g}" if log10_p > -300 else f"1e{log10_p:.0f}"
    return shown.replace(".", ",") if lang == "fr" else shown


def _moment(facts: PackFacts, iso: str) -> str:
    at = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return f"{formatter(facts.lang).date(at, long=True)} {at:%H:%M} UTC"


def _t(facts: PackFacts, message: str, **params: Any) -> str:
    return render(facts.lang, message, params)


def _approver(facts: PackFacts, record: dict[str, Any]) -> str:
    approval = record["approval"]
    if approval is None:
        return _t(facts, N_("none needed (below the hard limit)"))
    return _t(
        facts,
        N_("{admin}, request #{request} of {user}"),
        admin=str(approval["approved_by"]),
        request=str(approval["request"]),
        user=approval["requested_by"],
    )


def _export_lines(facts: PackFacts, record: dict[str, Any]) -> list[tuple[str, str]]:
    _ = gettext_for(facts.lang)
    return [
        (_("Export identifier"), record["export_uid"]),
        (_("Made on"), _moment(facts, record["created_at"])),
        (_("Made by"), record["made_by"]),
        (_("Recipient"), record["recipient"]),
        (_("Purpose"), record["purpose"]),
        (_("Approved by"), _approver(facts, record)),
        (_("Rows sent"), formatter(facts.lang).number(record["rows"])),
        (_("Fields sent"), ", ".join(_(COLUMN_NAMES.get(f, f)) for f in record["fields"])),
        (_("Signed manifest"), f"{record['signed_manifest']}, {record['signature']}, {record['public_key']}"),
    ]


def _mark_lines(facts: PackFacts, found: dict[str, Any]) -> list[tuple[str, str]]:
    _ = gettext_for(facts.lang)
    by = {"name": _("by name"), "siren": _("by SIREN")}
    traps = [
        f"{t['code']} {t['name'] or ''} ({', '.join(by.get(m, m) for m in t['matched_by'])})"
        for t in found["trap_records_found"]
    ]
    return [
        (_("Export identifier"), f"{found['export_uid']} ({found['recipient']})"),
        (_("Marks agreeing"), f"{found['marks_agreeing']} / {found['marks_checked']}"),
        (_("Trap records found"), ", ".join(traps) or "-"),
        (_("Probability by chance"), probability_text(found["log10_p_by_chance"], facts.lang)),
        (_("Probability of a wrong attribution"), probability_text(found["log10_wrong_attribution"], facts.lang)),
    ]


def _timeline(facts: PackFacts) -> list[tuple[str, str]]:
    _ = gettext_for(facts.lang)
    lines = [
        (_moment(facts, e["at"]), f"{_(ACTION_NAMES.get(e['action'], e['action']))} ({e['actor']}, #{e['seq']})")
        for e in facts.audit
    ]
    lines.append((_moment(facts, facts.made_at.isoformat()), _(ACTION_NAMES["trace.evidence"]) + f" ({facts.made_by})"))
    return lines


COMMANDS = {
    "pack": "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in pack-manifest.json "
    "-sigfile pack-manifest.sig\nsha256sum -c SHA256SUMS",
    "leaked": "sha256sum -c leaked-file.sha256",
    "manifest": "openssl pkeyutl -verify -pubin -inkey {key} -rawin -in {manifest} -sigfile {signature}",
    "key": "openssl pkey -pubin -in public-key.pem -outform DER | sha256sum",
}

PYTHON_CHECK = """\
import hashlib, json
from cryptography.hazmat.primitives.serialization import load_pem_public_key

def check(data, signature, key):  # raises InvalidSignature when it fails
    pem = load_pem_public_key(open(key, "rb").read())
    pem.verify(open(signature, "rb").read(), open(data, "rb").read())

check("pack-manifest.json", "pack-manifest.sig", "public-key.pem")
for f in json.load(open("pack-manifest.json", encoding="utf-8"))["files"]:
    assert hashlib.sha256(open(f["name"], "rb").read()).hexdigest() == f["sha256"], f["name"]
{manifests}print("OK")
"""

HMAC_CHECK = """\
import hashlib, hmac, json
key = bytes.fromhex(input("audit key (hex): "))
for line in open("audit-extract.jsonl", encoding="utf-8"):
    e = json.loads(line)
    body = {k: e[k] for k in ("seq", "at", "actor", "action", "target", "details")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    seal = hmac.new(key, (e["prev_hash"] + text).encode(), hashlib.sha256).hexdigest()
    print(e["seq"], e["action"], hmac.compare_digest(seal, e["hash"]))
"""


def _manifest_commands(facts: PackFacts) -> list[str]:
    return [
        COMMANDS["manifest"].format(key=r["public_key"], manifest=r["signed_manifest"], signature=r["signature"])
        for r in facts.exports
    ]


def _python(facts: PackFacts) -> str:
    checks = "".join(
        f'check("{r["signed_manifest"]}", "{r["signature"]}", "{r["public_key"]}")\n' for r in facts.exports
    )
    return PYTHON_CHECK.replace("{manifests}", checks)


def _steps(facts: PackFacts) -> list[tuple[str, str, str]]:
    """(heading, explanation, commands) of each verification step."""
    head_seq, head_hash = facts.chain_head
    return [
        (
            N_("1. The pack is complete and unchanged"),
            _t(
                facts,
                N_(
                    "pack-manifest.json lists every file of the pack with its SHA-256; it is signed with Ed25519 "
                    "(pack-manifest.sig, the raw 64-byte signature of the file's bytes) by the key whose public half "
                    'is public-key.pem. OpenSSL answers "Signature Verified Successfully", sha256sum "OK" for each '
                    "file."
                ),
            ),
            COMMANDS["pack"],
        ),
        (
            N_("2. The public key is the company's"),
            _t(
                facts,
                N_(
                    "A key given in the pack proves that the pack was not changed since it was signed, not who signed "
                    "it. Compare the key's SHA-256 below with the one noted elsewhere (a bailiff's record, the "
                    "company's counsel), or check with this key a manifest the recipient received with its file "
                    "(FILE.manifest.json, signed when the export was made). Public name of the key in the key ring: "
                    "{fingerprint}."
                ),
                fingerprint=facts.key_fingerprint,
            ),
            COMMANDS["key"],
        ),
        (
            N_("3. The leaked file"),
            _t(
                facts,
                N_(
                    "{copy} is a copy of the leaked file {name}; its SHA-256 is {digest}. A laundered file (rows "
                    "shuffled, columns dropped) no longer has the export's SHA-256: it is attributed by its marks "
                    "and trap records (step 5)."
                ),
                copy=facts.leaked_copy,
                name=facts.leaked_name,
                digest=facts.leaked_sha256,
            ),
            COMMANDS["leaked"],
        ),
        (
            N_("4. The export's signed manifest"),
            _t(
                facts,
                N_(
                    "manifest.json holds the exact bytes signed when the export was made (canonical JSON: keys sorted, "
                    "no spaces, UTF-8): export id, recipient, purpose, date, rows, SHA-256 of the file sent, format, "
                    "file name, key id and SHA-256 of the trap records. export.json adds what the registry holds "
                    "beside it (who made it, who approved it, the fields sent): not signed, but sealed in the export's "
                    "audit entry (step 6)."
                ),
            ),
            "\n".join(_manifest_commands(facts)),
        ),
        (
            N_("5. The marks, the trap records and the probability"),
            _t(
                facts,
                N_(
                    "marks.json gives, for each export implicated, the marks checked and agreeing, the trap records "
                    "found and the probabilities. {method}"
                ),
                method=str(facts.marks["method"]),
            ),
            "",
        ),
        (
            N_("6. The audit log"),
            _t(
                facts,
                N_(
                    "audit-extract.jsonl holds the audit entries of the export and of the traces of this file. Each "
                    "entry is sealed by hash = HMAC-SHA256(audit key, prev_hash + canonical JSON of seq, at, actor, "
                    "action, target, details), prev_hash being the hash of the entry before it in the whole log. "
                    "Without the key, anyone can check that the export's entry states the recipient, purpose and "
                    "SHA-256 of the signed manifest at the time it gives; the seals themselves are checked by the key "
                    "holder (clientfolio audit verify checks the whole log) or by an expert it gives the audit key to, "
                    "with the second script below; that key lets its holder write entries too: give it only to a "
                    "court-appointed expert, and rotate the keys afterwards. At pack time the whole log verified: "
                    "{ok}; its head, to note down in the complaint, is entry #{seq}, hash {hash}."
                ),
                ok=_t(facts, N_("yes")) if facts.chain_ok else _t(facts, N_("no")),
                seq=str(head_seq),
                hash=str(head_hash),
            ),
            "",
        ),
    ]


def verify_markdown(facts: PackFacts) -> str:
    """``VERIFY.md``: how to check each element of the pack with standard tools."""
    _ = gettext_for(facts.lang)
    parts = [
        "# " + _("Verifying the evidence pack"),
        _t(
            facts,
            N_(
                "This pack was made by Clientfolio on {when} by {who}. Each element is checked without Clientfolio, "
                "with OpenSSL 3, sha256sum and Python 3 with the cryptography package."
            ),
            when=_moment(facts, facts.made_at.isoformat()),
            who=facts.made_by,
        ),
    ]
    for heading, text, commands in _steps(facts):
        parts += ["## " + _(heading), text]
        if commands:
            parts.append(f"```\n{commands}\n```")
    parts += [
        "## " + _("Every signature and hash in Python (cryptography only)"),
        f"```python\n{_python(facts)}```",
        "## " + _("The audit seals (for the key holder or its expert)"),
        f"```python\n{HMAC_CHECK}```",
    ]
    return "\n\n".join(parts) + "\n"


class _Document(A4Document):
    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.cell(0, 5, pdf_safe(f"{self.footer_text} · {self.page_no()}"), align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FAMILY, "B", 12)
        self.multi_cell(0, 7, pdf_safe(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self.set_font(FAMILY, "", 9)
        self.multi_cell(0, 4.6, pdf_safe(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def pairs(self, lines: Sequence[tuple[str, str]]) -> None:
        for label, value in lines:
            self.set_font(FAMILY, "B", 9)
            self.cell(64, 4.8, pdf_safe(label))
            self.set_font(FAMILY, "", 9)
            self.multi_cell(0, 4.8, pdf_safe(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def code(self, text: str) -> None:
        self.set_font("Courier", "", 7.5)
        self.multi_cell(0, 3.8, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)


def pdf_bytes(facts: PackFacts) -> bytes:
    """The PDF summary of the pack (``rapport.pdf`` / ``report.pdf``)."""
    _ = gettext_for(facts.lang)
    pdf = _Document(_("Evidence pack") + f" · {facts.leaked_sha256[:16]}")
    pdf.set_title(pdf_safe(_("Evidence pack: a leaked file traced")))
    pdf.set_creator("clientfolio")
    pdf.set_creation_date(facts.made_at)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 18)
    pdf.multi_cell(0, 9, pdf_safe(_("Evidence pack: a leaked file traced")), new_x="LMARGIN", new_y="NEXT")
    for line in facts.marks["verdict"]:
        pdf.paragraph(line)
    pdf.heading(_("The leaked file"))
    pdf.pairs(
        [
            (_("File"), _t(facts, N_("{name} (copy: {copy})"), name=facts.leaked_name, copy=facts.leaked_copy)),
            (_("Fingerprint (SHA-256)"), facts.leaked_sha256),
            (_("Rows read"), formatter(facts.lang).number(facts.marks["rows_read"])),
        ]
    )
    for record in facts.exports:
        pdf.heading(_("The export it comes from"))
        pdf.pairs(_export_lines(facts, record))
    pdf.heading(_("Marks and trap records found"))
    for found in facts.marks["implicated"]:
        pdf.pairs(_mark_lines(facts, found))
    pdf.paragraph(str(facts.marks["method"]))
    pdf.heading(_("Timeline"))
    pdf.pairs(_timeline(facts))
    pdf.heading(_("How to verify"))
    for heading, text, commands in _steps(facts):
        pdf.set_font(FAMILY, "B", 9.5)
        pdf.multi_cell(0, 5, pdf_safe(_(heading)), new_x="LMARGIN", new_y="NEXT")
        pdf.paragraph(text)
        if commands:
            pdf.code(commands)
    pdf.paragraph(
        _t(facts, N_("VERIFY.md gives the same steps, and a Python script checking every signature and hash."))
    )
    return bytes(pdf.output())
