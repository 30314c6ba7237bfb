"""Reference data of the demo portfolio: regions, segments, offer, word lists.

Everything here is fictitious.  Phone numbers are drawn from the blocks that
ARCEP sets aside for works of fiction, e-mail domains end in ``.example``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COMPANY",
    "FIRST_NAMES",
    "FUNCTIONS",
    "LAST_NAMES",
    "LEGAL_FORMS",
    "MOBILE_BLOCK",
    "PLACE_WORDS",
    "PRODUCT_LINES",
    "REGIONS",
    "SEGMENTS",
    "STREETS",
    "SUPPLIER",
    "USERS",
    "Activity",
    "ProductLineRef",
    "ProductRef",
    "RegionRef",
    "SegmentRef",
]


@dataclass(frozen=True)
class RegionRef:
    code: str
    name: str
    weight: float
    phone_block: str  # "04 65 71": fiction numbers of the region's area
    cities: tuple[tuple[str, str], ...]  # (postal code, city)


@dataclass(frozen=True)
class Activity:
    naf_code: str
    sector: str
    trade: str  # first word of a company name, e.g. "Mécanique"


@dataclass(frozen=True)
class SegmentRef:
    code: str
    name: str
    weight: float
    line_weights: tuple[float, float, float]  # share of CON, EQP, SRV in its purchases
    activities: tuple[Activity, ...]


@dataclass(frozen=True)
class ProductRef:
    code: str
    name: str
    unit_price_cents: int
    margin_rate: float


@dataclass(frozen=True)
class ProductLineRef:
    code: str
    name: str
    revenue_account: str  # French chart of accounts: 706 services, 707 goods
    products: tuple[ProductRef, ...]


COMPANY = ("Équipro Solutions SAS", "452136989", "equipro-solutions.example")  # the seller
SUPPLIER = ("F00001", "Grossiste Industriel de France SA")

MOBILE_BLOCK = "06 39 98"

REGIONS: tuple[RegionRef, ...] = (
    RegionRef(
        "IDF",
        "Île-de-France",
        0.30,
        "01 99 00",
        (
            ("75008", "Paris"),
            ("75012", "Paris"),
            ("92100", "Boulogne-Billancourt"),
            ("93200", "Saint-Denis"),
            ("94000", "Créteil"),
            ("91300", "Massy"),
            ("78000", "Versailles"),
            ("95000", "Cergy"),
            ("77100", "Meaux"),
        ),
    ),
    RegionRef(
        "ARA",
        "Auvergne-Rhône-Alpes",
        0.20,
        "04 65 71",
        (
            ("69007", "Lyon"),
            ("69100", "Villeurbanne"),
            ("38000", "Grenoble"),
            ("42000", "Saint-Étienne"),
            ("63000", "Clermont-Ferrand"),
            ("74000", "Annecy"),
            ("26000", "Valence"),
            ("01000", "Bourg-en-Bresse"),
        ),
    ),
    RegionRef(
        "NAQ",
        "Nouvelle-Aquitaine",
        0.12,
        "05 36 49",
        (
            ("33000", "Bordeaux"),
            ("33700", "Mérignac"),
            ("87000", "Limoges"),
            ("86000", "Poitiers"),
            ("64000", "Pau"),
            ("17000", "La Rochelle"),
            ("24000", "Périgueux"),
        ),
    ),
    RegionRef(
        "OCC",
        "Occitanie",
        0.12,
        "05 36 49",
        (
            ("31000", "Toulouse"),
            ("34000", "Montpellier"),
            ("30000", "Nîmes"),
            ("66000", "Perpignan"),
            ("81000", "Albi"),
            ("11000", "Carcassonne"),
            ("65000", "Tarbes"),
        ),
    ),
    RegionRef(
        "HDF",
        "Hauts-de-France",
        0.13,
        "03 53 01",
        (
            ("59000", "Lille"),
            ("59100", "Roubaix"),
            ("62000", "Arras"),
            ("80000", "Amiens"),
            ("60200", "Compiègne"),
            ("02100", "Saint-Quentin"),
            ("59300", "Valenciennes"),
        ),
    ),
    RegionRef(
        "GES",
        "Grand Est",
        0.13,
        "03 53 01",
        (
            ("67000", "Strasbourg"),
            ("68100", "Mulhouse"),
            ("57000", "Metz"),
            ("54000", "Nancy"),
            ("51100", "Reims"),
            ("10000", "Troyes"),
            ("88000", "Épinal"),
        ),
    ),
)

SEGMENTS: tuple[SegmentRef, ...] = (
    SegmentRef(
        "IND",
        "Industrie",
        0.26,
        (0.50, 0.42, 0.08),
        (
            Activity("25.62B", "Mécanique industrielle", "Mécanique"),
            Activity("25.11Z", "Fabrication de structures métalliques", "Métallerie"),
            Activity("22.29A", "Fabrication de pièces techniques en plastique", "Plasturgie"),
            Activity("28.29B", "Fabrication d'autres machines d'usage général", "Ateliers"),
            Activity("25.61Z", "Traitement et revêtement des métaux", "Traitements"),
        ),
    ),
    SegmentRef(
        "BTP",
        "BTP",
        0.24,
        (0.18, 0.80, 0.02),
        (
            Activity("43.99C", "Travaux de maçonnerie générale", "Maçonnerie"),
            Activity("43.91A", "Travaux de charpente", "Charpentes"),
            Activity("42.11Z", "Construction de routes et autoroutes", "Travaux Publics"),
            Activity("43.21A", "Travaux d'installation électrique", "Électricité"),
            Activity("43.22A", "Travaux d'installation d'eau et de gaz", "Plomberie"),
        ),
    ),
    SegmentRef(
        "SAN",
        "Santé",
        0.14,
        (0.72, 0.0, 0.28),
        (
            Activity("86.10Z", "Activités hospitalières", "Clinique"),
            Activity("86.90B", "Laboratoires d'analyses médicales", "Laboratoire"),
            Activity("87.10A", "Hébergement médicalisé pour personnes âgées", "Résidence"),
            Activity("86.23Z", "Pratique dentaire", "Centre dentaire"),
        ),
    ),
    SegmentRef(
        "DIS",
        "Distribution",
        0.18,
        (0.95, 0.05, 0.0),
        (
            Activity("46.69B", "Commerce de gros de fournitures industrielles", "Comptoir"),
            Activity("46.73A", "Commerce de gros de bois et matériaux", "Négoce"),
            Activity("46.90Z", "Commerce de gros non spécialisé", "Distribution"),
            Activity("47.52B", "Commerce de détail de quincaillerie", "Quincaillerie"),
        ),
    ),
    SegmentRef(
        "SER",
        "Services aux entreprises",
        0.18,
        (0.05, 0.12, 0.83),
        (
            Activity("81.21Z", "Nettoyage courant des bâtiments", "Propreté"),
            Activity("80.10Z", "Activités de sécurité privée", "Sécurité"),
            Activity("52.29B", "Affrètement et organisation des transports", "Logistique"),
            Activity("62.02A", "Conseil en systèmes et logiciels informatiques", "Informatique"),
            Activity("70.22Z", "Conseil pour les affaires et autres conseils de gestion", "Conseil"),
        ),
    ),
)

PRODUCT_LINES: tuple[ProductLineRef, ...] = (
    ProductLineRef(
        "CON",
        "Consommables",
        "707100",
        (
            ProductRef("CON-001", "Gants nitrile (boîte de 100)", 1_290, 0.42),
            ProductRef("CON-002", "Disques abrasifs Ø125 (lot de 50)", 3_850, 0.40),
            ProductRef("CON-003", "Lubrifiant industriel 5 L", 4_600, 0.36),
            ProductRef("CON-004", "Visserie inox assortie (coffret)", 8_900, 0.38),
            ProductRef("CON-005", "Kit de protection individuelle", 14_500, 0.34),
            ProductRef("CON-006", "Filtres à air industriels (carton)", 21_000, 0.31),
        ),
    ),
    ProductLineRef(
        "EQP",
        "Équipements",
        "707200",
        (
            ProductRef("EQP-001", "Perceuse-visseuse sans fil 18 V", 18_900, 0.28),
            ProductRef("EQP-002", "Nettoyeur haute pression", 89_000, 0.25),
            ProductRef("EQP-003", "Poste à souder inverter", 129_000, 0.24),
            ProductRef("EQP-004", "Armoire de stockage sécurisée", 165_000, 0.22),
            ProductRef("EQP-005", "Compresseur d'air 100 L", 245_000, 0.21),
            ProductRef("EQP-006", "Chariot élévateur électrique", 1_890_000, 0.17),
        ),
    ),
    ProductLineRef(
        "SRV",
        "Services",
        "706100",
        (
            ProductRef("SRV-001", "Intervention technique (heure)", 8_500, 0.55),
            ProductRef("SRV-002", "Contrat de maintenance (mois)", 39_000, 0.58),
            ProductRef("SRV-003", "Formation sécurité (journée)", 95_000, 0.50),
            ProductRef("SRV-004", "Audit et diagnostic sur site", 145_000, 0.52),
            ProductRef("SRV-005", "Maintenance préventive (forfait annuel)", 180_000, 0.47),
        ),
    ),
)

# (username, display name, role, region codes of a sales rep's scope)
USERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("pbernard", "Philippe Bernard", "admin", ()),
    ("cmorel", "Claire Morel", "manager", ()),
    ("jleroy", "Julien Leroy", "sales", ("IDF",)),
    ("sgirard", "Sophie Girard", "sales", ("ARA",)),
    ("tfaure", "Thomas Faure", "sales", ("NAQ", "OCC")),
    ("amercier", "Aurélie Mercier", "sales", ("HDF", "GES")),
    ("nrousseau", "Nathalie Rousseau", "auditor", ()),
)

FIRST_NAMES = (
    "Alain",
    "Anne",
    "Antoine",
    "Audrey",
    "Benoît",
    "Camille",
    "Caroline",
    "Cédric",
    "Christophe",
    "Céline",
    "David",
    "Delphine",
    "Éric",
    "Élodie",
    "Fabien",
    "Florence",
    "François",
    "Hélène",
    "Isabelle",
    "Jérôme",
    "Julie",
    "Karine",
    "Laurent",
    "Léa",
    "Marc",
    "Marie",
    "Mathieu",
    "Nadia",
    "Nicolas",
    "Olivier",
    "Pascale",
    "Pierre",
    "Sandrine",
    "Sébastien",
    "Stéphane",
    "Sylvie",
    "Valérie",
    "Vincent",
    "Virginie",
    "Yann",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clement",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gerard",
    "Nguyen",
    "Boyer",
    "Denis",
)
PLACE_WORDS = (
    "du Val",
    "des Alpes",
    "de l'Ouest",
    "du Centre",
    "Atlantique",
    "du Rhône",
    "de la Vallée",
    "des Trois Rivières",
    "du Littoral",
    "Méditerranée",
    "du Nord",
    "de l'Est",
    "des Coteaux",
    "du Plateau",
    "Occitane",
    "Rhénane",
    "Armor",
    "Horizon",
)
LEGAL_FORMS = (("SARL", 0.42), ("SAS", 0.46), ("SA", 0.12))
FUNCTIONS = (
    "Gérant",
    "Directeur général",
    "Responsable achats",
    "Acheteuse",
    "Directeur technique",
    "Responsable maintenance",
    "Directeur administratif et financier",
    "Chef d'atelier",
    "Responsable des services généraux",
    "Conducteur de travaux",
    "Assistante de direction",
)
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard Gambetta",
    "rue Pasteur",
    "zone industrielle des Chênes",
    "rue de l'Industrie",
    "avenue du Général de Gaulle",
    "chemin des Artisans",
    "rue des Forges",
    "parc d'activités du Moulin",
    "rue Jules Ferry",
    "allée des Peupliers",
    "quai de la Gare",
)
