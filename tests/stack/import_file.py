"""Import files for `essp import` (proto/README.md « Importer l'annuaire
existant »): CSV rows with French headings made from a valid application,
each with a SIRET of its own, and, when asked, one bad row in every 100
whose fault (line, field, rule) is known in advance.

    python3 tests/stack/import_file.py OUT.csv [COUNT]   writes a file
"""

import csv
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HEADINGS = [
    "nom", "forme juridique", "SIRET", "adresse", "code postal", "commune", "départements", "thèmes",
    "formats", "périmètre", "courriel", "téléphone", "site web", "présentation", "approuvé le",
    "conseiller", "créée le", "contact nom", "contact courriel", "contact téléphone", "finalité",
    "gouvernance", "excédents", "NDA", "Qualiopi expire le", "espace privé", "personnes formées", "engagements", "réseaux",
    "référence 1 : client", "référence 1 : ESS", "référence 1 : année", "référence 1 : nature",
    "référence 1 : thèmes", "référence 1 : résumé",
    "référence 2 : client", "référence 2 : ESS", "référence 2 : année", "référence 2 : nature",
    "référence 2 : résumé",
]

# The faults of bad rows, in turn: what is written, and the field and rule
# the report must name.
FAULTS = [
    ("SIRET", "853 645 562 00011", "organisation.siret", None),
    ("courriel", "pas-une-adresse", "organisation.public_contact.email", None),
    ("thèmes", "Astrologie", "offer.themes[0]", "enum"),
    ("approuvé le", "2026-13-45", "approved_at", "date"),
    ("nom", "", "organisation.name", "required"),
]


def row(n, approved):
    """The n-th good row (n >= 1), approved on `approved` (a date)."""
    doc = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    org, offer, refs = doc["organisation"], doc["offer"], doc["references"]
    values = {
        "nom": "%s %d" % (org["name"], n),
        "forme juridique": "Société coopérative et participative (SCOP)",
        "SIRET": harness.make_siret(n),
        "adresse": org["address"]["street"],
        "code postal": org["address"]["postcode"],
        "commune": org["address"]["city"],
        "départements": "; ".join(offer["departments"]),
        "thèmes": "Démarche d'amélioration continue; Gouvernance démocratique",
        "formats": "Accompagnement",
        "périmètre": "; ".join(offer["scope"]),
        "courriel": org["public_contact"]["email"],
        "téléphone": org["public_contact"]["phone"],
        "site web": org["website"],
        "présentation": offer["description"],
        "approuvé le": approved.isoformat(),
        "conseiller": "",
        "créée le": org["created"],
        "contact nom": org["private_contact"]["name"],
        "contact courriel": org["private_contact"]["email"],
        "contact téléphone": org["private_contact"]["phone"],
        "finalité": doc["principles"]["purpose"],
        "gouvernance": doc["principles"]["governance"],
        "excédents": doc["principles"]["surplus"],
        "espace privé": "oui",
        "personnes formées": "; ".join("%s (%s)" % (p["name"], p["session_date"])
                                       for p in doc["trained_people"]),
        "engagements": "tous",
        "réseaux": "; ".join(doc["ties"]["networks"]),
    }
    for i, ref in enumerate(refs[:2], start=1):
        values["référence %d : client" % i] = ref["client"]
        values["référence %d : ESS" % i] = "oui" if ref["client_is_ess"] else "non"
        values["référence %d : année" % i] = str(ref["year"])
        values["référence %d : nature" % i] = ref["kind"]
        values["référence %d : résumé" % i] = ref["summary"]
        if i == 1:
            values["référence 1 : thèmes"] = "; ".join(ref.get("ci_topics", []))
    return values


def write(path, count, bad_every=100, first=1, today=None):
    """Writes `count` rows (numbered from `first`) to path; every
    bad_every-th row (0: none) is bad.  Returns (good, bad): the SIRETs of
    the good rows, and for each bad row (line, field, rule or None when
    any rule will do)."""
    today = today or datetime.date.today()
    good, bad = [], []
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(HEADINGS)
        for i in range(count):
            n = first + i
            values = row(n, today - datetime.timedelta(days=30 + n % 700))
            line = i + 2
            if bad_every and (i + 1) % bad_every == 0:
                column, value, field, rule = FAULTS[(i // bad_every) % len(FAULTS)]
                values[column] = value
                bad.append((line, field, rule))
            else:
                good.append(values["SIRET"])
            out.writerow([values.get(h, "") for h in HEADINGS])
    return good, bad


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    good, bad = write(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000)
    print("%d good rows, %d bad rows" % (len(good), len(bad)))
