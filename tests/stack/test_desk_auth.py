"""essp-desk's accounts and sessions over real HTTP, with the real desk
process beside the four services: invitations (made by `essp member add
--email` and `essp staff add`, and one sent over the desk's CURVE endpoint
that expires), the password rules, login and logout (the session dead on
the server), one answer for an unknown login and a wrong password, the
lockout after 10 failures and its end, an expired session, CSRF, roles,
the staff's second factor (TOTP per RFC 6238, computed here) and recovery
codes, the security headers and cookie flags, and a call to review as the
logged-in member (the daily digest)."""

import hashlib
import html
import hmac
import http.client
import os
import re
import signal
import struct
import subprocess
import sys
import time
import urllib.parse

import nacl.encoding
import nacl.hash
import nacl.secret
import nacl.utils

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from essp_client import DESK_HTTP_OFFSET  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT", os.path.join(BIN, "..", "tests", "lmdb_edit"))
LOCK_SECONDS = 20
stack = harness.Stack(BIN, env={"ESSP_DESK_LOCK_SECONDS": str(LOCK_SECONDS)})
PORT = stack.port + DESK_HTTP_OFFSET
PASSWORD = "trois chats sur un toit"
STAFF_PASSWORD = "la cress tient ses comptes"


class Browser:
    """Cookies and requests, redirects not followed (the tests check them)."""

    def __init__(self, address="127.0.0.1"):
        self.cookies = {}
        self.last_headers = []
        self.address = address      # the client's own: the desk throttles each address

    def request(self, method, path, fields=None, csrf=True):
        body = None
        headers = {}
        if fields is not None:
            fields = dict(fields)
            if csrf is True:
                fields["csrf"] = self.csrf()
            elif csrf:
                fields["csrf"] = csrf
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60, source_address=(self.address, 0))
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        self.last_headers = response.getheaders()
        for name, value in self.last_headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie_value = rest.split(";")[0]
                if "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = cookie_value
        connection.close()
        return response.status, dict((k.lower(), v) for k, v in self.last_headers), text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields, csrf=True):
        return self.request("POST", path, fields, csrf)

    def csrf(self):
        """The token of the forms of the page the browser would show."""
        match = None
        if "essp_desk" in self.cookies:
            match = re.search(r'name="csrf" value="([^"]+)"', self.get("/preferences")[2])
        if not match:
            match = re.search(r'name="csrf" value="([^"]+)"', self.get("/connexion")[2])
        assert match
        return match.group(1)

    def set_cookies(self):
        return [v for k, v in self.last_headers if k.lower() == "set-cookie"]


def totp(secret_b32, at=None, digits=6):
    """RFC 6238 (HMAC-SHA1, 30 s) written from the RFC, not from the desk."""
    key = _b32decode(secret_b32)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return "%0*d" % (digits, code)


def _b32decode(text):
    import base64
    return base64.b32decode(text + "=" * (-len(text) % 8))


def invitation_path(url):
    return urllib.parse.urlparse(url).path


def error_of(text):
    match = re.search(r'<p class="error" role="alert">([^<]*)</p>', text)
    return html.unescape(match.group(1)) if match else None


def login(browser, email, password, expect=303):
    status, headers, text = browser.post("/connexion", {"email": email, "password": password})
    assert status == expect, (status, text)
    return status, headers, text


members = {}


def test_a_member_invited_by_the_cli_sets_a_password_in_french():
    lines = stack.essp_lines("member", "add", "Claire Moreau", "--college", "researchers",
                             "--email", "Claire.Moreau@example.org")
    invitation = lines[-1]
    assert invitation["email"] == "Claire.Moreau@example.org" and invitation["role"] == "member"
    assert invitation["invitation"].startswith("http://127.0.0.1:%d/invitation/" % PORT)
    members["claire"] = invitation_path(invitation["invitation"])
    browser = Browser()
    status, headers, text = browser.get(members["claire"])
    assert status == 200 and "Choisir votre mot de passe" in text and "claire.moreau@example.org" in text
    refusals = {
        "court": "au moins 12 caractères",
        "motdepasse2024": "mots de passe les plus courants",
        "AZERTYUIOP123": "mots de passe les plus courants",
        "claire.moreau@example.org": "ni votre nom",
    }
    for password, expected in refusals.items():
        status, _, text = browser.post(members["claire"], {"password": password, "confirm": password})
        assert status == 422 and expected in error_of(text), (password, status, error_of(text))
    status, _, text = browser.post(members["claire"], {"password": PASSWORD, "confirm": PASSWORD + "x"})
    assert status == 422 and "diffèrent" in error_of(text)
    status, headers, _ = browser.post(members["claire"], {"password": PASSWORD, "confirm": PASSWORD})
    assert status == 303 and headers["location"] == "/comite"
    cookie = [c for c in browser.set_cookies() if c.startswith("essp_desk=")][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie                 # plain HTTP on loopback
    status, _, text = browser.get("/comite")
    assert status == 200 and "Claire Moreau" in text and "Mes dossiers" in text
    members["claire_browser"] = browser


def test_an_invitation_serves_once():
    status, _, text = Browser().get(members["claire"])
    assert status == 410 and "nouvelle invitation" in error_of(text)
    status, _, text = Browser().get("/invitation/" + "A" * 43)
    assert status == 410
    status, _, _ = Browser().get("/invitation/pas-un-jeton")
    assert status == 404


def test_the_cli_and_the_desk_hold_the_same_account():
    accounts = stack.essp_lines("desk", "list")
    claire = [a for a in accounts if a["email"] == "claire.moreau@example.org"]
    assert claire and claire[0]["name"] == "Claire Moreau" and claire[0]["state"] == "active"
    # One key pair: the one the tool votes with is the one the desk sealed
    # and the certificate store admits.
    from essp_client import file_name, load_cert
    allowed = load_cert(os.path.join(stack.home, "keys", "allowed", file_name("member-Claire Moreau") + ".cert"))
    tool = load_cert(stack.key_path("member", "Claire Moreau"))
    assert allowed[0] == tool[0]
    # essp desk invite: an account for someone, later; an address has one account.
    invitation = stack.essp_json("desk", "invite", "staff", "Léa Martin", "lea@cress.example")
    assert Browser().get(invitation_path(invitation["invitation"]))[0] == 200
    again = stack.essp("desk", "invite", "member", "Léa Martin", "LEA@cress.example", check=False)
    assert again.returncode == 1 and "an account with this e-mail address exists" in again.stderr


def test_login_logout_and_the_session_is_dead_on_the_server():
    browser = Browser()
    login(browser, "CLAIRE.moreau@example.org", PASSWORD)
    old = dict(browser.cookies)
    status, _, _ = browser.get("/comite")
    assert status == 200
    status, headers, _ = browser.post("/deconnexion", {})
    assert status == 303 and headers["location"] == "/connexion"
    assert "essp_desk" not in browser.cookies
    replay = Browser()
    replay.cookies = old
    status, headers, _ = replay.get("/comite")
    assert status == 303 and headers["location"].startswith("/connexion")


def test_unknown_login_and_wrong_password_get_the_same_bytes():
    browser = Browser()
    browser.csrf()
    unknown = browser.post("/connexion", {"email": "personne@example.org", "password": "n'importe lequel"})
    wrong = browser.post("/connexion", {"email": "claire.moreau@example.org", "password": "n'importe lequel"})
    assert unknown[0] == wrong[0] == 200
    assert unknown[2] == wrong[2]
    assert "incorrect" in error_of(wrong[2])


def test_forms_without_their_csrf_token_are_refused():
    browser = members["claire_browser"]
    for csrf in (False, "A" * 43):
        status, _, text = browser.post("/deconnexion", {}, csrf=csrf)
        assert status == 403 and "Rechargez la page" in error_of(text)
    status, _, _ = browser.get("/comite")
    assert status == 200                          # still logged in: nothing was done
    outsider = Browser()
    status, _, _ = outsider.post("/connexion", {"email": "claire.moreau@example.org", "password": PASSWORD},
                                 csrf=False)
    assert status == 403


def test_a_member_may_not_open_a_staff_page():
    status, _, text = members["claire_browser"].get("/admin")
    assert status == 403 and "réservée à l'équipe" in error_of(text)


def test_security_headers_on_every_page():
    for browser, path in ((Browser(), "/connexion"), (members["claire_browser"], "/comite"),
                          (members["claire_browser"], "/preferences")):
        status, headers, _ = browser.get(path)
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp or "'unsafe" not in csp
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"


def test_the_member_calls_review_as_themself():
    status, _, text = members["claire_browser"].post("/preferences/resume", {"resume": "1"})
    assert status == 200 and "Vous recevrez le résumé quotidien." in text, text
    listed = [m for m in stack.essp_lines("member", "list") if m["name"] == "Claire Moreau"]
    assert listed and listed[0].get("digest") is True


def test_a_member_removed_by_the_cli_loses_the_desk_account():
    stack.essp_lines("member", "add", "Paul Durand", "--college", "researchers", "--email", "paul.durand@example.org")
    assert "paul.durand@example.org" in [a["email"] for a in stack.essp_lines("desk", "list")]
    removed = stack.essp_lines("member", "remove", "Paul Durand")
    assert {"desk_account_removed": "paul.durand@example.org", "name": "Paul Durand"} in removed, removed
    assert "paul.durand@example.org" not in [a["email"] for a in stack.essp_lines("desk", "list")]
    # A member without a desk account is removed as before.
    stack.essp_lines("member", "add", "Sans Compte", "--college", "researchers")
    assert [line for line in stack.essp_lines("member", "remove", "Sans Compte") if "desk_account_removed" in line] == []


def test_a_password_change_reseals_the_key_and_ends_the_other_sessions():
    global PASSWORD
    browser, other = members["claire_browser"], Browser()
    login(other, "claire.moreau@example.org", PASSWORD)
    new = "une autre phrase bien longue"
    status, _, text = browser.post("/preferences/mot-de-passe",
                                   {"current": "pas le bon", "password": new, "confirm": new})
    assert status == 422 and "actuel" in error_of(text)
    status, _, text = browser.post("/preferences/mot-de-passe",
                                   {"current": PASSWORD, "password": "motdepasse1999", "confirm": "motdepasse1999"})
    assert status == 422 and "plus courants" in error_of(text)
    status, _, text = browser.post("/preferences/mot-de-passe", {"current": PASSWORD, "password": new, "confirm": new})
    assert status == 200 and "Votre mot de passe est changé" in text, error_of(text)
    assert other.get("/comite")[1]["location"].startswith("/connexion")
    assert browser.get("/comite")[0] == 200
    PASSWORD = new
    # The key opens with the new password: review still hears the member.
    fresh = Browser()
    login(fresh, "claire.moreau@example.org", PASSWORD)
    status, _, text = fresh.post("/preferences/resume", {})
    assert status == 200 and "Vous ne recevrez plus le résumé quotidien." in text, text
    listed = [m for m in stack.essp_lines("member", "list") if m["name"] == "Claire Moreau"]
    assert listed[0].get("digest") is False


staff = {}


def test_staff_enrol_a_second_factor_before_anything_else():
    invitation = stack.essp_json("staff", "add", "Équipe CRESS", "--email", "equipe@cress.example")
    browser = Browser()
    status, headers, _ = browser.post(invitation_path(invitation["invitation"]),
                                      {"password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD})
    assert status == 303 and headers["location"] == "/double-facteur"
    status, headers, _ = browser.get("/admin")
    assert status == 303 and headers["location"] == "/double-facteur"
    status, _, text = browser.get("/double-facteur")
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', text).group(1)
    assert "otpauth://totp/ESS%20Pratiques:equipe@cress.example?secret=" + secret in text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="qr"' in text      # the same URI as a QR code
    status, _, text = browser.post("/double-facteur", {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert status == 422 and "pas le bon" in error_of(text)
    enrolled_at = time.time()
    status, _, text = browser.post("/double-facteur", {"code": totp(secret, at=enrolled_at)})
    assert status == 200 and "Vos codes de secours" in text
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", text)
    assert len(codes) == 10 and len(set(codes)) == 10
    status, _, text = browser.get("/admin")
    assert status == 200 and "Équipe CRESS" in text
    staff.update(secret=secret, codes=codes, enrolled_at=enrolled_at)


def test_staff_login_asks_the_code_once_and_a_recovery_code_works_once():
    browser = Browser()
    status, headers, _ = login(browser, "equipe@cress.example", STAFF_PASSWORD)
    assert headers["location"] == "/double-facteur"
    assert browser.get("/admin")[1]["location"] == "/double-facteur"
    # The enrolment's code is refused a second time (its step is recorded; a
    # later step's window no longer holds it either), whenever this runs.
    status, _, text = browser.post("/double-facteur", {"code": totp(staff["secret"], at=staff["enrolled_at"])})
    assert status == 422 and "pas le bon" in error_of(text)
    # Each code is accepted once. The next step's code is one the desk
    # accepts now (a phone's clock a little ahead: one step of drift), and
    # always a later step than the enrolment's, whenever this runs.
    code = totp(staff["secret"], at=time.time() + 30)
    status, headers, _ = browser.post("/double-facteur", {"code": code})
    assert status == 303 and headers["location"] == "/admin"
    assert browser.get("/admin")[0] == 200
    status, _, text = browser.get("/comite")
    assert status == 403
    browser.post("/deconnexion", {})
    # The same code, seen over a shoulder, opens nothing.
    other = Browser()
    login(other, "equipe@cress.example", STAFF_PASSWORD)
    status, _, _ = other.post("/double-facteur", {"code": code})
    assert status == 422
    for attempt in range(2):
        browser = Browser()
        login(browser, "equipe@cress.example", STAFF_PASSWORD)
        status, headers, text = browser.post("/double-facteur", {"secours": staff["codes"][0].upper()})
        if attempt == 0:
            assert status == 303 and headers["location"] == "/admin"
            browser.post("/deconnexion", {})
        else:
            assert status == 422 and "pas le bon" in error_of(text)


def test_ten_failures_lock_even_the_right_password_until_the_window_ends():
    # An account and an address with no failure yet (the earlier tests
    # failed from 127.0.0.1, with Claire's account among others).
    invitation = stack.essp_lines("member", "add", "Paul Girard", "--college", "ess_networks",
                                  "--email", "paul.girard@example.org")[-1]
    status, _, _ = Browser().post(invitation_path(invitation["invitation"]), {"password": PASSWORD, "confirm": PASSWORD})
    assert status == 303
    browser = Browser(address="127.0.0.2")
    browser.csrf()
    first = time.monotonic()
    for _ in range(10):
        status, _, wrong = browser.post("/connexion", {"email": "paul.girard@example.org", "password": "mauvais mot"})
        assert status == 200
    status, _, locked = browser.post("/connexion", {"email": "paul.girard@example.org", "password": PASSWORD})
    # The answers slow down from the fourth failure (6.3 s for ten, then
    # 1.6 s): all of it must fall inside the window for the lock to be seen.
    assert time.monotonic() - first < LOCK_SECONDS - 1, time.monotonic() - first
    assert status == 200 and locked == wrong
    # The window runs from the first failure: once it has passed, the
    # account opens again.
    time.sleep(max(0.0, first + LOCK_SECONDS + 1 - time.monotonic()))
    status, headers, _ = browser.post("/connexion", {"email": "paul.girard@example.org", "password": PASSWORD})
    assert status == 303 and headers["location"] == "/comite"


def test_an_invitation_expires():
    """An invitation sent over the desk's CURVE endpoint as the CLI does,
    valid two seconds: the token, its hash and the sealed key made here."""
    import zmq
    from zmq.utils import z85
    token = nacl.utils.random(32)
    # BLAKE2b keyed with the token, over a context of its own for each use
    # (common/sealed_key.c).
    key = nacl.hash.blake2b(b"essp sealed key from token v1", digest_size=32, key=token,
                            encoder=nacl.encoding.RawEncoder)
    token_hash = nacl.hash.blake2b(b"essp token hash v1", digest_size=32, key=token,
                                   encoder=nacl.encoding.RawEncoder)
    public, secret = zmq.curve_keypair()
    sealed = bytes(nacl.secret.SecretBox(key).encrypt(z85.decode(secret)))
    client = stack.staff(service="desk")
    reply = client.call("account_invite", email="sophie@example.org", name="Sophie Bernard", role="member",
                        public_key=z85.decode(public), sealed_secret=sealed, token_hash=token_hash,
                        expires=int(time.time()) + 2)
    assert reply["type"] == "account" and reply["state"] == "invited", reply
    import base64
    path = "/invitation/" + base64.urlsafe_b64encode(token).decode().rstrip("=")
    assert Browser().get(path)[0] == 200
    time.sleep(3)
    status, _, text = Browser().get(path)
    assert status == 410 and "expiré" in error_of(text)
    # Only a staff key asks the desk for accounts.
    refused = stack.review_as("Claire Moreau", service="desk").call("account_list")
    assert refused["type"] == "error" and refused["code"] == "forbidden", refused


def test_an_idle_session_expires_and_a_restart_ends_sessions_and_cookies_go_secure():
    browser = Browser()
    login(browser, "claire.moreau@example.org", PASSWORD)
    stack.kill("desk")
    stack.env["ESSP_DESK_IDLE_SECONDS"] = "2"
    stack.env["ESSP_DESK_SECURE_COOKIE"] = "1"         # as behind TLS
    stack.start("desk")
    # No key in the new process's memory: the session is over.
    status, headers, _ = browser.get("/comite")
    assert status == 303 and headers["location"] == "/connexion?expiree=1"
    status, _, text = browser.get(headers["location"])
    assert "Votre session a expiré" in text
    login(browser, "claire.moreau@example.org", PASSWORD)
    cookie = [c for c in browser.set_cookies() if c.startswith("essp_desk=")][0]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert browser.get("/comite")[0] == 200
    time.sleep(3)
    status, headers, _ = browser.get("/comite")
    assert status == 303 and headers["location"] == "/connexion?expiree=1"
    # A session whose cookie never comes back is swept at the next login:
    # the store keeps only the live one.
    gone = Browser()
    login(gone, "claire.moreau@example.org", PASSWORD)
    time.sleep(3)
    login(Browser(), "claire.moreau@example.org", PASSWORD)
    assert stack.kill("desk", signal.SIGTERM) == 0
    listed = subprocess.run([LMDB_EDIT, os.path.join(stack.home, "data", "desk"), "sessions", "list"],
                            capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 1, listed.stdout


if __name__ == "__main__":
    try:
        stack.start()
        stack.start("desk")
        harness.run([
            test_a_member_invited_by_the_cli_sets_a_password_in_french,
            test_an_invitation_serves_once,
            test_the_cli_and_the_desk_hold_the_same_account,
            test_login_logout_and_the_session_is_dead_on_the_server,
            test_unknown_login_and_wrong_password_get_the_same_bytes,
            test_forms_without_their_csrf_token_are_refused,
            test_a_member_may_not_open_a_staff_page,
            test_security_headers_on_every_page,
            test_the_member_calls_review_as_themself,
            test_a_member_removed_by_the_cli_loses_the_desk_account,
            test_a_password_change_reseals_the_key_and_ends_the_other_sessions,
            test_staff_enrol_a_second_factor_before_anything_else,
            test_staff_login_asks_the_code_once_and_a_recovery_code_works_once,
            test_ten_failures_lock_even_the_right_password_until_the_window_ends,
            test_an_invitation_expires,
            test_an_idle_session_expires_and_a_restart_ends_sessions_and_cookies_go_secure,
        ])
    finally:
        stack.cleanup()
