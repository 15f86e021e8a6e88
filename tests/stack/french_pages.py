"""English (and internal) words that must not reach a page a person reads.

A page of the public side is French; these words are the ones that leaked
into it before (help texts that gave the protocol's codes, "JSON", "Révision
2", "(version 1)") or that a developer's template would leak (null, true,
undefined, error...).  Only the visible text is checked: tags, attributes,
<script> and <style> are removed first, so codes in name="" or value=""
and the page's JavaScript are allowed.

    from french_pages import assert_no_leaked_english
    assert_no_leaked_english(html, "the form")

Run alone (python3 french_pages.py), it checks itself on a few pages."""

import html as html_lib
import re

LEAKED_WORDS = (
    "support", "training", "whole", "specific", "none", "json", "revision",
    "révision", "version", "submit", "token", "null", "true", "false",
    "undefined", "error", "nan",
)

_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in LEAKED_WORDS) + r")(?![\w-])",
                      re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# What a prefilled form's text areas hold is the applicant's own text (a
# reference's summary may well say « Révision de la charte »), not the site's.
_APPLICANT_TEXT = re.compile(r"(<textarea\b[^>]*>).*?(</textarea\s*>)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def visible_text(page):
    """The text a reader sees: no scripts, styles, comments, tags or attributes."""
    if isinstance(page, bytes):
        page = page.decode("utf-8", "replace")
    page = _HIDDEN.sub(" ", _COMMENT.sub(" ", page))
    page = _APPLICANT_TEXT.sub(r"\1 \2", page)
    return html_lib.unescape(_TAG.sub(" ", page))


def leaked_words(page):
    """The leaked words of a page with a little context, in page order."""
    text = visible_text(page)
    found = []
    for match in _PATTERN.finditer(text):
        start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
        found.append((match.group(1), " ".join(text[start:end].split())))
    return found


def assert_no_leaked_english(page, where="page"):
    found = leaked_words(page)
    assert not found, "%s shows words a French reader should not see: %s" % (
        where, "; ".join("%r in « %s »" % f for f in found))


if __name__ == "__main__":
    assert leaked_words("<p>Accompagnement (support) ou formation</p>")[0][0] == "support"
    assert leaked_words("<p>Télécharger la charte en JSON</p>")[0][0] == "JSON"
    assert leaked_words("<h2>Révision 2</h2>")[0][0] == "Révision"
    assert leaked_words("<p>« none » si</p>")[0][0] == "none"
    assert not leaked_words('<input name="offer.formats" value="support"><label>Accompagnement</label>')
    assert not leaked_words('<script>if (x === null) submit();</script><p>Envoyer</p>')
    assert not leaked_words("<p>Le support-technique et les supports de cours</p>")
    assert not leaked_words("<p>Une versionnée, un soutien</p>")
    assert not leaked_words('<textarea name="references[0].summary">Révision de la charte</textarea>')
    assert leaked_words('<textarea name="a">x</textarea><p>version</p>')[0][0] == "version"
    print("french_pages: ok")
