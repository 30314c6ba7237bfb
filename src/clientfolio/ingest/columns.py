"""Which column holds which field: automatic matching of usual French and
English headers, or an explicit mapping file.

A mapping file (TOML or JSON) may hold::

    delimiter = ";"          # optional: ; , tab |
    encoding = "cp1252"      # optional
    decimal = ","            # optional: "," or "."
    date_order = "dmy"       # optional: dmy, mdy, ymd
    sheet = "Ventes"         # optional, XLSX
    header_row = 3           # optional: the line or sheet row of the header (default: found)
    [columns]                # field = header in the file
    invoice_number = "N° pièce"
    amount = "Total HT"
    balance = ""             # "" (or null in JSON): a column found by its header, left out
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clientfolio.ingest.report import ImportRejected, RowError

__all__ = [
    "FIELDS",
    "FIELD_NAMES",
    "KINDS",
    "ColumnMatch",
    "Field",
    "Mapping",
    "field_name",
    "known_headers",
    "load_mapping",
    "match_columns",
]


FIELD_NAMES: dict[str, str] = {
    "invoice_number": "Invoice number",
    "invoice_date": "Invoice date",
    "customer_code": "Customer code",
    "customer_name": "Customer name",
    "line_no": "Line number",
    "product_code": "Product code",
    "product_name": "Product name",
    "product_line": "Product line",
    "quantity": "Quantity",
    "amount": "Amount excl. tax",
    "cost": "Cost excl. tax",
    "margin": "Gross margin",
    "kind": "Invoice or credit note",
    "due_date": "Due date",
    "paid_date": "Payment date",
    "amount_incl_tax": "Amount incl. tax",
    "paid_amount": "Amount paid",
    "balance": "Amount still due",
    "name": "Company name",
    "siret": "SIRET",
    "siren": "SIREN",
    "naf_code": "NAF/APE code",
    "sector": "Business sector",
    "size_band": "Size band",
    "region": "Region",
    "segment": "Segment",
    "city": "City",
    "potential": "Potential",
    "sector_growth": "Growth of the sector",
    "supplier_policy": "Supplier policy",
    "created_on": "Creation date",
    "address": "Address",
    "postal_code": "Postal code",
    "country": "Country",
    "status": "Status",
    "wallet_share": "Share of its purchases",
    "contact_name": "Contact",
    "contact_function": "Contact's function",
    "email": "Email",
    "phone": "Phone",
    "unit_price": "Unit price excl. tax",
    "prospect_code": "Prospect code",
    "stage": "Stage",
    "source": "Source",
    "accessibility_score": "IPA",
    "potential_score": "IPO",
    "has_project": "Has a project",
    "last_similar_purchase": "Last similar purchase",
    "contact_knowledge": "Knowledge of the contact",
    "receptivity": "Receptivity",
    "timing": "Timing",
    "lost_reason": "Reason lost",
    "date": "Date",
    "rep": "Sales rep",
    "type": "Type",
    "outcome": "Outcome",
    "subject": "Subject",
    "duration": "Duration",
}
"""The English name of each field of the import files (a message of the
catalogs, French in ``i18n/fr/ingest.po``): shown in place of the field's code."""


def field_name(name: str, kind: str | None = None) -> str:
    """The English name of the field ``name`` of ``kind``'s files (``FIELD_NAMES``:
    a product's ``name`` is its label, a company's its name); ``name`` itself when
    it is no field (a header of the file)."""
    if kind == "products" and name == "name":
        return FIELD_NAMES["product_name"]
    return FIELD_NAMES.get(name, name)


@dataclass(frozen=True)
class Field:
    name: str
    help: str
    synonyms: tuple[str, ...]
    required: bool = False


def _f(name: str, help: str, *synonyms: str, required: bool = False) -> Field:
    return Field(name, help, (name.replace("_", " "), *synonyms), required)


_CONTACT = (
    _f("contact_name", "contact person", "contact", "nom contact", "interlocuteur", "nom du contact"),
    _f("contact_function", "contact's function", "fonction", "poste", "titre", "job title"),
    _f("email", "contact email", "e mail", "mail", "courriel", "adresse email", "adresse mail"),
    _f("phone", "contact phone", "telephone", "tel", "portable", "mobile", "numero de telephone"),
)
_COMPANY = (
    _f("siren", "SIREN (9 digits)", "n siren", "numero siren"),
    _f("naf_code", "NAF/APE code", "code naf", "naf", "ape", "code ape", "naf code"),
    _f("sector", "business sector", "secteur", "secteur d activite", "activite", "industry"),
    _f(
        "size_band",
        "micro/small/medium/large (TPE/PME/ETI/GE)",
        "taille",
        "tranche effectif",
        "categorie entreprise",
        "size",
    ),
    _f("region", "sales region", "zone", "secteur geographique", "territory", "territoire"),
    _f("segment", "customer segment", "typologie", "type client", "categorie client", "customer segment", "marche"),
    _f("city", "city", "ville", "commune", "town"),
    _f(
        "potential",
        "yearly revenue if we were the sole supplier (wallet), euros excl. tax",
        "potentiel",
        "ca potentiel",
        "potentiel ca",
        "potential revenue",
        "wallet",
    ),
    _f(
        "sector_growth",
        "growth of its sector, percent a year",
        "croissance secteur",
        "croissance du secteur",
        "croissance",
        "growth",
    ),
    _f(
        "supplier_policy",
        "single/preferred/multiple suppliers",
        "politique fournisseur",
        "politique achats",
        "fournisseurs",
        "sourcing",
    ),
    _f(
        "created_on",
        "date the record was created",
        "date creation",
        "date de creation",
        "client depuis",
        "created",
        "customer since",
        "date entree",
    ),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "invoices": (
        _f(
            "invoice_number",
            "invoice or credit note number",
            "numero facture",
            "n facture",
            "no facture",
            "num facture",
            "facture",
            "n piece",
            "numero piece",
            "piece",
            "ref piece",
            "invoice",
            "invoice no",
            "invoice id",
            "document number",
            "numero de facture",
            "n de facture",
            "no de facture",
            "facture n",
            "facture no",
            "facture numero",
            "n de piece",
            "numero de piece",
            "piece n",
            "num piece",
            "ref facture",
            "reference facture",
            "invoice num",
            "invoice n",
            "invoice ref",
            "document",
            "document n",  # EBP's "Document - N°"
            "n document",
            "numero document",
            "numero",
            "num",
            "no",
            "n",
            required=True,
        ),
        _f(
            "invoice_date",
            "issue date",
            "date facture",
            "date de facture",
            "date de la facture",
            "date de facturation",
            "date facturation",
            "facture date",
            "date",
            "date piece",
            "date de piece",
            "piece date",
            "date document",
            "date d emission",
            "date emission",
            "document date",
            "issue date",
            "date issued",
            "issued on",
            "date d edition",
            required=True,
        ),
        _f(
            "customer_code",
            "customer code",
            "code client",
            "n client",
            "numero client",
            "ref client",
            "id client",
            "compte client",
            "client code",
            "client id",
            "code tiers",
            "n tiers",
            "numero tiers",
            "compte tiers",
            "ref tiers",
            "customer id",
            "customer no",
            "customer number",
            "account",
            "n compte tiers",  # Sage's "N° compte tiers"
            "numero compte tiers",
            "n compte client",
            "client",
            "customer",
            "tiers",
            required=True,
        ),
        _f(
            "customer_name",
            "customer name (creates unknown customers)",
            "raison sociale",
            "nom client",
            "client nom",
            "nom du client",
            "nom de l entreprise",
            "societe",
            "company",
            "company name",
            "client name",
            "nom tiers",
            "libelle tiers",
            "intitule tiers",
            "intitule",
            "denomination",
            "entreprise",
            "contact name",  # Xero's ContactName
            "partenaire",  # Odoo's invoices (partner_id)
            "partner",
            "nom",
            "client",
            "customer",
            "tiers",
        ),
        _f("line_no", "line number within the invoice", "ligne", "n ligne", "numero ligne", "line", "line number"),
        _f(
            "product_code",
            "product code",
            "code article",
            "ref article",
            "code produit",
            "item code",
            "inventory item code",  # Xero's InventoryItemCode (its Reference is the buyer's order)
            "stock code",  # Sage 50
            "sku",
            "article",
            "reference",
            "produit",
            "product",
            "item",
            "product service",  # QuickBooks' Product/Service
        ),
        _f(
            "product_name",
            "product label (creates unknown products)",
            "designation",
            "libelle",
            "libelle article",
            "libelle produit",
            "description",
            "item name",
            "memo description",  # QuickBooks' Memo/Description
        ),
        _f(
            "product_line",
            "product family",
            "famille",
            "gamme",
            "famille article",
            "ligne de produit",
            "ligne produit",
            "product family",
            "family",
            "category",
        ),
        _f("quantity", "quantity", "quantite", "qte", "qty"),
        _f(
            "amount",
            "amount excl. tax, euros",
            "montant ht",
            "total ht",
            "montant",
            "ca ht",
            "ht",
            "montant total ht",
            "total hors taxes",
            "total hors taxe",
            "montant hors taxes",
            "montant hors taxe",
            "montant net ht",
            "total net ht",
            "net ht",
            "prix total ht",
            "amount excl tax",
            "total excl tax",
            "amount excl vat",
            "total excl vat",
            "subtotal",
            "sub total",
            "net amount",
            "net total",
            "net",
            "line amount",  # Xero's LineAmount (amounts tax exclusive)
            "item amount",  # QuickBooks' ItemAmount
            "montant ligne ht",
            "hors taxes",  # Odoo's invoice list (amount_untaxed_signed)
            "tax excluded",
            "untaxed amount",
            "revenue",
            "sales",
            "chiffre d affaires",
            required=True,
        ),
        _f(
            "cost",
            "cost excl. tax (margin = amount - cost)",
            "cout",
            "cout de revient",
            "prix de revient",
            "cout ht",
            "cogs",
            "cost of sales",
        ),
        _f("margin", "gross margin, euros", "marge", "marge brute", "gross margin"),
        _f(
            "kind",
            "invoice or credit note (facture/avoir)",
            "type",
            "type piece",
            "type document",
            "nature",
            "document type",
            "type de piece",
            "type de document",
            "type de facture",
            "transaction type",
            "invoice type",
        ),
        _f(
            "due_date",
            "payment due date",
            "date echeance",
            "echeance",
            "date d echeance",
            "due on",
            "date de l echeance",
            "date limite de paiement",
            "date limite de reglement",
            "date limite",
            "echeance de paiement",
            "due date",
            "payment due date",
            "date due",
        ),
        _f(
            "paid_date",
            "date settled in full",
            "date reglement",
            "date de reglement",
            "date paiement",
            "date de paiement",
            "date encaissement",
            "paid on",
            "payment date",
            "date du reglement",
            "date du paiement",
            "date d encaissement",
            "reglee le",
            "regle le",
            "payee le",
            "paye le",
            "encaisse le",
            "paid date",
            "date paid",
            "last payment date",
            "date dernier reglement",
            "date du dernier reglement",
            "date dernier paiement",
        ),
        _f(
            "amount_incl_tax",
            "amount incl. tax, euros",
            "total ttc",
            "montant ttc",
            "ttc",
            "montant total ttc",
            "total toutes taxes comprises",
            "montant toutes taxes comprises",
            "prix total ttc",
            "amount incl tax",
            "total incl tax",
            "amount incl vat",
            "total incl vat",
            "gross amount",
            "gross total",
        ),
        _f(
            "paid_amount",
            "amount paid so far, euros incl. tax",
            "montant regle",
            "regle",
            "montant paye",
            "deja regle",
            "montant deja regle",
            "total regle",
            "montant encaisse",
            "encaisse",
            "paye",
            "paid",
            "amount paid",
            "paid amount",
            "total paid",
        ),
        _f(
            "balance",
            "amount still due, euros incl. tax",
            "reste du",
            "reste a payer",
            "reste a regler",
            "reste a encaisser",
            "solde",
            "solde du",
            "solde restant",
            "restant du",
            "montant du",
            "montant restant",
            "montant restant du",
            "balance due",
            "amount due",
            "open balance",
            "outstanding",
            "amount outstanding",
            "balance",
        ),
    ),
    "customers": (
        _f(
            "customer_code",
            "customer code",
            "code client",
            "code",
            "n client",
            "numero client",
            "customer id",
            "id",
            "code tiers",
            "n tiers",
            "compte tiers",
            "customer",
            "client",
            "tiers",
            "reference client",
            "ref client",
            "reference",  # Odoo's contacts
            "account number",  # Salesforce's accounts
            "record id",  # HubSpot's companies
            required=True,
        ),
        _f(
            "name",
            "company name",
            "raison sociale",
            "nom",
            "nom client",
            "societe",
            "denomination",
            "company",
            "customer name",
            "nom du client",
            "client name",
            "nom tiers",
            "libelle tiers",
            "intitule",
            "nom de l entreprise",
            "entreprise",
            "display name",  # Odoo's contacts
            "account name",  # Salesforce's accounts
            required=True,
        ),
        _f("siret", "SIRET (14 digits)", "n siret", "numero siret"),
        *_COMPANY,
        _f("address", "street address", "adresse", "adresse 1", "rue"),
        _f("postal_code", "postal code", "code postal", "cp", "zip", "zip code"),
        _f("country", "ISO country code", "pays"),
        _f("status", "active/inactive/lost", "statut", "etat"),
        _f(
            "wallet_share",
            "our share of its purchases in our field, percent",
            "part de marche",
            "part fournisseur",
            "taux de penetration",
            "part du portefeuille",
            "share of wallet",
        ),
        *_CONTACT,
    ),
    "products": (
        _f(
            "product_code",
            "product code",
            "code article",
            "code",
            "article",
            "ref article",
            "reference",
            "code produit",
            "sku",
            "item code",
            "inventory item code",
            "stock code",
            required=True,
        ),
        _f(
            "name",
            "product label",
            "designation",
            "libelle",
            "nom",
            "description",
            "product name",
            "item name",
            required=True,
        ),
        _f(
            "product_line",
            "product family",
            "famille",
            "gamme",
            "famille article",
            "ligne de produit",
            "product family",
            "family",
            "category",
        ),
        _f("unit_price", "unit price excl. tax, euros", "prix unitaire", "prix", "pu ht", "prix unitaire ht", "price"),
    ),
    "prospects": (
        _f("prospect_code", "prospect code", "code prospect", "code", "id", "prospect"),
        _f("name", "company name", "raison sociale", "nom", "societe", "denomination", "company", required=True),
        *_COMPANY,
        _f("stage", "suspect/prospect/cold/warm/hot/won/lost", "etape", "stade", "statut", "etat", "status", "phase"),
        _f(
            "source",
            "network/press/recommendation/bought_file/event/web/other",
            "origine",
            "provenance",
            "origin",
            "lead source",
            "canal",
        ),
        _f("accessibility_score", "IPA marks 0-10", "ipa", "accessibilite", "accessibility", "indice d accessibilite"),
        _f("potential_score", "IPO marks 0-10", "ipo", "indice de potentiel", "potential score", "note potentiel"),
        _f("has_project", "has a project (oui/non)", "projet", "project", "a un projet"),
        _f(
            "last_similar_purchase",
            "date of last similar purchase",
            "date dernier achat similaire",
            "dernier achat",
            "last purchase",
        ),
        _f(
            "contact_knowledge",
            "IPA: knowledge of the contact, marks 0-10",
            "connaissance interlocuteur",
            "connaissance du contact",
            "connaissance",
        ),
        _f("receptivity", "IPA: receptivity of the contact, marks 0-10", "receptivite"),
        _f("timing", "IPA: right moment, marks 0-10", "bon moment", "moment"),
        _f(
            "lost_reason",
            "why the prospect was lost",
            "motif de perte",
            "raison de la perte",
            "motif perte",
            "cause de perte",
            "reason lost",
        ),
        *_CONTACT,
    ),
    "activities": (
        _f(
            "date",
            "day of the activity (not in the future)",
            "date activite",
            "date de l action",
            "le",
            "date d activite",
            "activity date",
            required=True,
        ),
        _f(
            "rep",
            "sales rep: username or full name of a user (empty: yourself)",
            "commercial",
            "representant",
            "vendeur",
            "utilisateur",
            "responsable",
            "owner",
            "sales rep",
            "user",
        ),
        _f(
            "customer_code",
            "customer code (or a prospect code)",
            "code client",
            "client",
            "n client",
            "customer",
            "customer id",
        ),
        _f("prospect_code", "prospect code (or a customer code)", "code prospect", "prospect"),
        _f(
            "type",
            "call/visit/meeting/email/quote (appel, visite, rendez-vous, e-mail, devis)",
            "type d action",
            "nature",
            "action",
            "canal",
            "activity type",
            "type activite",
            required=True,
        ),
        _f("outcome", "result (stored encrypted)", "resultat", "compte rendu", "issue", "result"),
        _f("subject", "subject or note", "objet", "sujet", "note", "commentaire", "notes"),
        _f("duration", "duration in minutes (30, 1h30)", "duree", "duree min", "duree minutes"),
    ),
}
KINDS = (*FIELDS, "fec")


def header_forms(header: str) -> tuple[str, ...]:
    """``header`` normalized, then with its words glued in camel case apart when it has
    some (Xero's ``InvoiceNumber``, QuickBooks' ``ItemAmount``: ``invoice number``)."""
    plain = normalize(header)
    apart = normalize(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header))
    return (plain,) if apart == plain else (plain, apart)


def normalize(header: str) -> str:
    """Lower case, no accents, "N°" as "n", punctuation as spaces."""
    text = header.lower().replace("n°", "n ").replace("nº", "n ")  # before "°" is dropped as non-ASCII
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"n[°ºo]\s*(?=\w)", "n ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str | None] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    date_order: str | None = None
    sheet: str | None = None
    header_row: int | None = None


def load_mapping(path: Path) -> Mapping:
    """Read a TOML or JSON mapping file."""
    name = path.name
    try:
        raw = path.read_bytes()
        data: dict[str, Any] = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ImportRejected(
            [RowError.because(name, 0, "", "", "unreadable mapping file: {error}", error=str(exc))]
        ) from None
    known = {"columns", "delimiter", "encoding", "decimal", "date_order", "sheet", "header_row"}
    if unknown := set(data) - known:
        raise ImportRejected(
            [
                RowError.because(
                    name, 0, "", ", ".join(sorted(unknown)), "unknown keys; use {keys}", keys=str(sorted(known))
                )
            ]
        )
    delimiter = data.get("delimiter")
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if data.get("decimal") not in (None, ",", "."):
        raise ImportRejected([RowError(name, 0, "decimal", str(data["decimal"]), "use , or .")])
    if data.get("date_order") not in (None, "dmy", "mdy", "ymd"):
        raise ImportRejected([RowError(name, 0, "date_order", str(data["date_order"]), "use dmy, mdy or ymd")])
    return Mapping(
        columns=dict(data.get("columns", {})),
        delimiter=delimiter,
        encoding=data.get("encoding"),
        decimal=data.get("decimal"),
        date_order=data.get("date_order"),
        sheet=data.get("sheet"),
        header_row=_header_row(name, data.get("header_row")),
    )


def _header_row(file: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ImportRejected([RowError(file, 0, "header_row", str(value), "use a line number from 1")])
    return value


@dataclass(frozen=True)
class ColumnMatch:
    """field name -> column index, and the headers left unused."""

    indexes: dict[str, int]
    header: list[str]
    unused: list[str]

    def shown(self) -> dict[str, str]:
        return {name: self.header[i] for name, i in self.indexes.items()}


_ONE_CUSTOMER_COLUMN = frozenset({"client", "customer", "tiers"})
"""Headers that may hold a customer's code or name: alone in the file, the
column is read as both."""


def match_columns(file: str, header: list[str], kind: str, mapping: Mapping = Mapping(), line: int = 1) -> ColumnMatch:
    """Match ``header`` (at ``line`` of the file) to the fields of ``kind``;
    missing required fields reject the file.

    An invoices file with a single customer column gives it to both
    ``customer_code`` and ``customer_name`` (the rows reader then looks an
    unknown value up by name): a name column when no code column is found, or
    a code column headed "Client", "Customer" or "Tiers" when no name column is."""
    fields = FIELDS[kind]
    by_norm: dict[str, int] = {}
    for i, h in enumerate(header):
        for form in header_forms(h):
            by_norm.setdefault(form, i)
    taken: dict[str, int] = {}
    errors: list[RowError] = []
    names = {f.name for f in fields}
    for name, wanted in mapping.columns.items():
        if name not in names:
            errors.append(
                RowError.because(
                    file,
                    line,
                    name,
                    str(wanted),
                    "mapping names an unknown field; fields for {kind}: {fields}",
                    kind=kind,
                    fields=", ".join(sorted(names)),
                )
            )
        elif wanted not in (None, ""):  # none (JSON null) or "" (TOML): the field has no column
            if (index := by_norm.get(normalize(wanted))) is None:
                errors.append(RowError(file, line, name, wanted, "mapped column not in the header"))
            else:
                taken[name] = index
    used = set(taken.values())
    for f in fields:
        if f.name in taken or f.name in mapping.columns:
            continue
        for synonym in f.synonyms:
            found = by_norm.get(normalize(synonym))
            if found is not None and found not in used:
                taken[f.name] = found
                used.add(found)
                break
    if kind == "invoices":
        _one_customer_column(header, taken, mapping)
    for f in fields:
        if f.required and f.name not in taken:
            errors.append(
                RowError.because(
                    file,
                    line,
                    f.name,
                    "",
                    "missing required column ({field_msg}); looked for: {synonyms}",
                    field_msg=f.help,
                    synonyms=", ".join(f.synonyms[:6]),
                    kind=kind,  # the column is the field's code: named for the reader by ``field_name``
                )
            )
    if errors:
        raise ImportRejected(errors)
    unused = [h for i, h in enumerate(header) if i not in used and h]
    return ColumnMatch(taken, header, unused)


def _one_customer_column(header: list[str], taken: dict[str, int], mapping: Mapping) -> None:
    """A single customer column serves as code and name (see ``match_columns``);
    a field the mapping sets to none stays without a column."""
    code, name = taken.get("customer_code"), taken.get("customer_name")
    if code is None and name is not None and "customer_code" not in mapping.columns:
        taken["customer_code"] = name
    elif (
        name is None
        and code is not None
        and "customer_name" not in mapping.columns
        and normalize(header[code]) in _ONE_CUSTOMER_COLUMN
    ):
        taken["customer_name"] = code


def known_headers() -> frozenset[str]:
    """Every header (normalized) a field of any kind is matched by: what a
    header row is recognised by."""
    return frozenset(normalize(s) for fields in FIELDS.values() for f in fields for s in f.synonyms)
