"""Fictitious French identities: companies (SIREN, SIRET), people, addresses."""

from __future__ import annotations

import random
from dataclasses import dataclass

from clientfolio.demo import catalog
from clientfolio.ingest.lookups import slug
from clientfolio.ingest.values import luhn_valid

__all__ = ["CompanyId", "Identities", "email"]


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@dataclass(frozen=True)
class CompanyId:
    name: str
    siren: str
    siret: str
    activity: catalog.Activity
    postal_code: str
    city: str
    address: str


class Identities:
    """Draws unique company names and SIREN numbers, people and phone numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._names: set[str] = set()
        self._sirens: set[str] = {catalog.COMPANY[1]}
        self._phones: set[str] = set()

    def company(self, region: catalog.RegionRef, segment: catalog.SegmentRef) -> CompanyId:
        rng = self.rng
        activity = rng.choice(segment.activities)
        postal_code, city = rng.choice(region.cities)
        forms = [form for form, _ in catalog.LEGAL_FORMS]
        weights = [weight for _, weight in catalog.LEGAL_FORMS]
        for attempt in range(40):
            draw = rng.random()
            if draw < 0.45:
                who = rng.choice(catalog.LAST_NAMES)
                who += " et Fils" if rng.random() < 0.1 else ""
            elif draw < 0.7:
                who = "-".join(rng.sample(catalog.LAST_NAMES, 2))
            else:
                who = rng.choice(catalog.PLACE_WORDS)
            where = f" {city}" if attempt >= 20 else ""  # a crowded name space
            name = f"{activity.trade} {who}{where} {rng.choices(forms, weights)[0]}"
            if name not in self._names:
                break
        self._names.add(name)
        siren = self.siren()
        nic = _with_check_digit(siren + f"{rng.randint(1, 120):04d}")[9:]
        address = f"{rng.randint(1, 180)} {rng.choice(catalog.STREETS)}"
        return CompanyId(name, siren, siren + nic, activity, postal_code, city, address)

    def siren(self) -> str:
        while True:
            siren = _with_check_digit(str(self.rng.randint(30_000_000, 99_999_999)))
            if siren not in self._sirens:
                self._sirens.add(siren)
                return siren

    def person(self) -> tuple[str, str]:
        """(first name, last name)."""
        return self.rng.choice(catalog.FIRST_NAMES), self.rng.choice(catalog.LAST_NAMES)

    def phone(self, block: str) -> str:
        """A number in ``block`` ("04 65 71"), unique in the data set when possible."""
        for _ in range(20):
            phone = f"{block} {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"
            if phone not in self._phones:
                break
        self._phones.add(phone)
        return phone


def email(first: str, last: str, company_name: str) -> str:
    """``prenom.nom@<company>.example``, legal form left out of the domain."""
    domain = slug(company_name.rsplit(" ", 1)[0]).lower()
    return f"{slug(first).lower()}.{slug(last).lower()}@{domain}.example"
