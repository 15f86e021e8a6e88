"""The fields a browser sends from a page's application form (the
application form, a renewal or an update of a listing): what a stack test
posts back after reading a prefilled page."""

import html.parser


class FormFields(html.parser.HTMLParser):
    """The fields a browser sends from the application form of a page:
    inputs (checked boxes only), textareas, selected options."""

    def __init__(self):
        super().__init__()
        self.fields, self.action = [], None
        self.textarea = self.select = None
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None and "application" in (a.get("class") or ""):
            self.in_form, self.action = True, a.get("action")
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self.textarea = [a["name"], ""]
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            self.fields.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form = False


COMMITMENTS = ("contract_before_action", "within_competence", "confidentiality", "non_discrimination",
               "conflict_disclosure", "tax_compliance", "regulatory_watch", "intellectual_property",
               "fair_competition", "charter_on_request")


def mutuelle(doc, key):
    """The mutuelle fixture's application as a person fills in the form,
    with the name and SIRET of doc, under the form's idempotency key."""
    org = doc["organisation"]
    fields = {
        "_key": key, "organisation.name": org["name"], "organisation.siret": org["siret"],
        "organisation.legal_form": "mutual", "organisation.created": "1998-06-01",
        "organisation.address.street": "3 place Napoléon", "organisation.address.postcode": "85000",
        "organisation.address.city": "La Roche-sur-Yon",
        "organisation.public_contact.email": "conseil-ess@mep-vendee.example",
        "organisation.public_contact.phone": "02 51 37 64 20",
        "organisation.private_contact.name": "Jean-Loïc Brochard",
        "organisation.private_contact.email": "jl.brochard@mep-vendee.example",
        "principles.purpose": "Mutuelle sans but lucratif ; notre service « Conseil ESS » aide les associations.",
        "principles.governance": "Les adhérents élisent leurs délégués ; chaque délégué dispose d'une voix.",
        "principles.surplus": "Les excédents sont affectés aux fonds propres et à l'action sociale.",
        "offer.scope": ["specific"], "offer.formats": ["support"],
        "offer.themes": ["wage_policy_social_exemplarity", "csr_iso26000"], "offer.departments": "85, 44",
        "references[0].client": "ADMR Canton de Chantonnay", "references[0].client_is_ess": "true",
        "references[0].year": "2025", "references[0].kind": "support", "references[0].ci_topics": ["rse"],
        "references[0].summary": "Démarche RSE centrée sur la santé et la sécurité des aides à domicile.",
    }
    for commitment in COMMITMENTS:
        fields["commitments." + commitment] = "true"
    return fields
