"""A person on essp-desk's web site, for the stack tests of the desk's
pages: cookies kept, the CSRF field of a form read from the page it came
from, and the steps of an account (an invitation accepted, a staff
person's second factor).  The first staff account is invited with the
operator's staff key on the desk's CURVE endpoint, as any staff client
may; every other person is added through the staff's pages."""

import base64
import hashlib
import hmac
import html
import http.client
import os
import re
import struct
import time
import urllib.parse

import nacl.encoding
import nacl.hash
import nacl.public
import nacl.secret
import nacl.utils

PASSWORD = "un mot de passe assez long pour la charte 2026"


class Page:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body.decode("utf-8")
        # What a reader sees: entities read back (&#39; is an apostrophe).
        self.text = html.unescape(self.raw)

    def has(self, needle):
        return needle in self.text

    def csrf(self):
        found = re.search(r'name="csrf" value="([^"]*)"', self.raw)
        assert found, "no CSRF field on the page:\n" + self.text[:2000]
        return html.unescape(found.group(1))

    def __repr__(self):
        main = self.text.find("<main")
        return "<%d %s>" % (self.status, self.text[main if main > 0 else 0:][:6000])


class Person:
    """One browser: its cookies, its last page."""

    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port = host, port
        self.cookies = {}
        self.last = None

    def request(self, method, path, fields=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if val:
                        self.cookies[key.strip()] = val.strip()
                    else:
                        self.cookies.pop(key.strip(), None)
            page = Page(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()
        return page

    def get(self, path, follow=True):
        page = self.request("GET", path)
        while follow and page.status in (302, 303):
            page = self.request("GET", page.headers["Location"])
        self.last = page
        return page

    def post(self, path, fields, follow=True, csrf_from=None):
        """Posts a form with the CSRF token of the page it is on."""
        fields = dict(fields)
        fields.setdefault("csrf", (csrf_from or self.last).csrf())
        page = self.request("POST", path, fields)
        while follow and page.status in (302, 303):
            page = self.request("GET", page.headers["Location"])
        self.last = page
        return page

    def accept_invitation(self, link, password=PASSWORD):
        path = urllib.parse.urlparse(link).path
        page = self.get(path)
        assert page.status == 200, page
        return self.post(path, {"password": password, "confirm": password})

    def second_factor(self):
        """Enrols a staff person's TOTP with the secret the page shows."""
        page = self.get("/double-facteur")
        secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.raw)
        assert secret, page
        key = base64.b32decode(secret.group(1).replace(" ", "") + "=" * (-len(secret.group(1).replace(" ", "")) % 8))
        page = self.post("/double-facteur", {"code": totp(key)})
        assert page.status == 200, page
        return page

    def login(self, email, password=PASSWORD):
        self.get("/connexion")
        return self.post("/connexion", {"email": email, "password": password})


def totp(key, now=None, step=30, digits=6):
    counter = int((now or time.time()) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return "%0*d" % (digits, code)


def _blake(context, token):
    return nacl.hash.blake2b(context, digest_size=32, key=token, encoder=nacl.encoding.RawEncoder)


def invite(stack, email, name, role="staff", base=None):
    """account_invite with the operator's staff key, as common/sealed_key.h
    says an invitation is sealed; returns the invitation's link."""
    secret = nacl.public.PrivateKey.generate()
    token = nacl.utils.random(32)
    key = _blake(b"essp sealed key from token v1", token)
    sealed = bytes(nacl.secret.SecretBox(key).encrypt(bytes(secret)))
    client = stack.staff(service="desk")
    reply = client.call("account_invite", email=email, name=name, role=role,
                        public_key=bytes(secret.public_key), sealed_secret=sealed,
                        token_hash=_blake(b"essp token hash v1", token), expires=int(time.time()) + 86400)
    client.close()
    assert reply["type"] == "account", reply
    text = base64.urlsafe_b64encode(token).decode().rstrip("=")
    return "%s/invitation/%s" % (base or "", text)


def start_desk(stack):
    """Starts essp-desk beside the four services; returns its HTTP port."""
    stack.start("desk")
    return stack.port + 11


def staff_person(stack, email="equipe@cress-pdl.example", name="Équipe CRESS"):
    """A staff person logged in, second factor enrolled."""
    person = Person(stack.port + 11)
    person.accept_invitation(invite(stack, email, name))
    person.second_factor()
    assert person.get("/admin").status == 200
    return person


def add_member(staff, name, email, college, ties="", networks=""):
    """Adds a member through « Personnes »; returns the invitation link."""
    staff.get("/admin/personnes")
    page = staff.post("/admin/personnes", {"nom": name, "courriel": email, "role": "member", "college": college,
                                           "ties": ties, "networks": networks})
    assert page.status == 200, page
    link = re.search(r'<code class="secret" id="lien-invitation">([^<]+)</code>', page.raw)
    assert link, page
    return html.unescape(link.group(1))


def member_person(stack, staff, name, email, college, **ties):
    link = add_member(staff, name, email, college, **ties)
    person = Person(stack.port + 11)
    page = person.accept_invitation(link)
    assert page.status == 200 and "Mes dossiers" in page.text, page
    return person
