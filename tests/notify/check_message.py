#!/usr/bin/python3
"""Every kind of essp-notify letter, composed with hostile applicant text
(tests/notify/print_letters.c), read back by Python's email parser as a
mail client would: the headers decode, no header was injected, the body is
multipart/alternative with a text/plain and a text/html part in UTF-8, the
applicant's text is escaped in HTML, and every line ends with CRLF within
the 76-character limit of the parts.

usage: check_message.py PRINT_LETTERS_PROGRAM
"""
import email
import email.policy
import email.utils
import os
import subprocess
import sys
import tempfile

KINDS = ["receipt", "incomplete", "in_review", "changes", "rejected", "appeal_received", "approved",
         "published", "reminder_60", "reminder_14", "suspended", "complaint_outcome", "withdrawn", "erased",
         "token_reissued", "update_refused", "member_digest", "member_reminder", "staff_complaint", "staff_erasure",
         "staff_undeliverable"]
EXPECTED_HEADERS = {"date", "message-id", "from", "to", "subject", "mime-version", "auto-submitted",
                    "content-language", "content-type"}


def check_lines(kind, raw):
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"", f"{kind}: does not end with CRLF"
    for n, line in enumerate(lines[:-1]):
        assert b"\n" not in line and b"\r" not in line, f"{kind}: bare CR or LF in line {n + 1}"
        assert len(line) <= 76, f"{kind}: line {n + 1} has {len(line)} characters"


def check(kind, raw):
    check_lines(kind, raw)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects, f"{kind}: defects {msg.defects}"
    names = {k.lower() for k in msg.keys()}
    expected = set(EXPECTED_HEADERS)
    if kind.startswith("member_"):
        expected.add("list-unsubscribe")
        assert msg["List-Unsubscribe"] == "<http://127.0.0.1:7711/preferences>"
    assert names == expected, f"{kind}: headers {sorted(names)}"
    assert len(msg.get_all("To")) == 1 and "bcc" not in names
    subject = str(msg["Subject"])
    assert "\n" not in subject and "\r" not in subject and subject.strip(), f"{kind}: subject {subject!r}"
    assert "{{" not in subject
    to = msg["To"].addresses
    assert len(to) == 1 and to[0].addr_spec == "contact@mutuelle.example", f"{kind}: To {to}"
    assert "Zoé" in to[0].display_name and "\n" not in to[0].display_name
    assert msg["Message-ID"].startswith("<intake.42.") and msg["Message-ID"].endswith("@example.org>")
    assert email.utils.parsedate_to_datetime(str(msg["Date"])).timestamp() == 1796515200
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], kind
    text, html = parts[0].get_content(), parts[1].get_content()
    for p in parts:
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Zoé" in text, f"{kind}: applicant text missing from the plain text"
    assert "<b>&" not in html, f"{kind}: applicant text not escaped in HTML"
    assert "&lt;b&gt;&amp;" in html, f"{kind}: applicant text missing from HTML"
    assert "{{" not in text and "{{" not in html
    assert html.lstrip().startswith("<!DOCTYPE html>")


def main():
    program = sys.argv[1]
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([program, folder], check=True)
        found = sorted(f[:-4] for f in os.listdir(folder))
        assert found == sorted(KINDS), f"kinds {found}"
        for kind in KINDS:
            with open(os.path.join(folder, kind + ".eml"), "rb") as f:
                check(kind, f.read())
    print(f"{len(KINDS)} letters parsed back: headers, parts, escaping, line lengths")


if __name__ == "__main__":
    main()
