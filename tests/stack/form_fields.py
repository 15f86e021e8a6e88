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
