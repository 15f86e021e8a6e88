"""intake's HTTP gateway through real HTTP on loopback, against the four
real services: the JSON API (every status code it gives), the applicant's
token, the limits (body size, content type, rate, a body that never ends)
and the promise that a 201 is durable and in intake's stream exactly once."""

import json
import os
import re
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import pull_all  # noqa: E402
from form_fields import mutuelle as form_fields  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "100000", "ESSP_HTTP_BURST": "100000"})
gateway = Gateway(stack.port + 4)
counter = [100]
accepted = {}                    # id -> token of every 201


def fresh(kind="valid", name="mutuelle-entraide-vendee.json"):
    counter[0] += 1
    document = harness.fixture(kind, name)
    document["organisation"]["siret"] = harness.make_siret(counter[0])
    document["organisation"]["name"] += " %d" % counter[0]
    return document


def submit(document, **kwargs):
    response = gateway.post_json("/api/v1/applications", document, **kwargs)
    if response.status == 201:
        accepted[response.json()["id"]] = response.json().get("token")
    return response


def expect_error(response, status, rule, field=None):
    assert response.status == status, response
    assert response.headers["Content-Type"] == "application/json", response.headers
    error = response.json()
    assert set(error) == {"error", "field", "rule"}, error
    assert error["rule"] == rule, error
    if field is not None:
        assert error["field"] == field, error
    return error


def setup():
    stack.start()


def test_health_and_endpoints():
    response = gateway.request("GET", "/healthz")
    assert response.status == 200 and response.json()["status"] == "ok", response
    lines = stack.essp_lines("endpoints")
    http_line = [line for line in lines if line["service"] == "intake-http"]
    assert http_line == [{"service": "intake-http", "endpoint": "http://127.0.0.1:%d/" % (stack.port + 4)}], lines


def test_charter_lists_every_criterion_in_french():
    response = gateway.request("GET", "/api/v1/charter")
    assert response.status == 200, response
    charter = response.json()
    codes = [c["code"] for c in charter["criteria"]]
    assert len(codes) == 21 and codes[0] == "ESS-FORM" and "LOY-CHARTER" in codes, codes
    by_code = {c["code"]: c for c in charter["criteria"]}
    assert by_code["ESS-GOV"]["title_fr"] == "Mettre en œuvre des modes de gestion démocratiques et participatifs"
    assert by_code["REF-DATES"]["outcomes"] == ["pass", "fail", "warn"], by_code["REF-DATES"]
    assert [a["article"] for a in charter["articles"]] == [1, 2, 3, 4]
    page = gateway.request("GET", "/charte")
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8", page
    assert all(code in page.text() for code in codes)
    assert "Mettre en œuvre des modes de gestion démocratiques et participatifs" in page.text()


def test_submit_gives_a_receipt_with_a_token_and_the_status_needs_it():
    document = fresh()
    response = submit(document)
    assert response.status == 201, response
    receipt = response.json()
    assert receipt["state"] == "received" and receipt["revision"] == 1 and not receipt["duplicate"]
    assert len(receipt["token"]) == 43, receipt
    assert response.headers["Location"] == "/api/v1/applications/" + receipt["id"]
    status = gateway.wait_state(receipt["id"], receipt["token"], ("in_review",))
    assert status["id"] == receipt["id"] and status["revision"] == 1
    assert len(status["report"]["criteria"]) == 21, status["report"]
    assert status["report"]["verdict"] == "review"
    assert status["decisions"] == []
    assert status["application"]["organisation"]["name"] == document["organisation"]["name"]
    assert status["siret"] == document["organisation"]["siret"]
    assert "token" not in status and "token_hash" not in status, sorted(status)

    # Without the token: 401.  A wrong token and an unknown id: the same 404.
    expect_error(gateway.status(receipt["id"], None), 401, "required", "Authorization")
    assert gateway.status(receipt["id"], None).headers.get("WWW-Authenticate", "").startswith("Bearer")
    wrong = gateway.status(receipt["id"], "A" * 43)
    unknown = gateway.status("zzzzzzzzzzzz", receipt["token"])
    expect_error(wrong, 404, "exists", "id")
    assert wrong.body == unknown.body, (wrong, unknown)
    assert receipt["id"] not in wrong.text()
    token = receipt["token"].encode()
    for odd in (b"x", token + b"x", token[:-1] + b"\xc3\xa9", token[:-1] + b"\xff"):
        response = gateway.request("GET", "/api/v1/applications/" + receipt["id"],
                                   headers={"Authorization": b"Bearer " + odd})
        assert response.status == 404 and response.body == unknown.body, (odd, response)
    # The token of one application opens no other.
    other = submit(fresh()).json()
    assert gateway.status(receipt["id"], other["token"]).body == unknown.body


def test_the_token_is_what_the_zeromq_status_compares_and_never_shows():
    receipt = submit(fresh()).json()
    status = stack.essp_json("status", receipt["id"])
    assert "token_hash" not in status and "token" not in status, sorted(status)


def test_refusals_of_the_body_name_the_rule():
    expect_error(gateway.post_json("/api/v1/applications", b'{"organisation": '), 400, "json_syntax")
    expect_error(gateway.post_json("/api/v1/applications", b'{"a": 1, "a": 2}'), 400, "duplicate_key")
    expect_error(gateway.post_json("/api/v1/applications", b'{"organisation": {"name": "\xff\xfe"}}'), 400, "utf8")
    deep = b'{"a":' * 40 + b'1' + b'}' * 40
    expect_error(gateway.post_json("/api/v1/applications", deep), 400, "depth")
    expect_error(gateway.post_json("/api/v1/applications", b'{"n": 99999999999999999999999}'), 400, "range")
    expect_error(gateway.post_json("/api/v1/applications", b'[1, 2]'), 400, "type", "")
    expect_error(gateway.post_json("/api/v1/applications", b''), 400, "json_syntax")
    document = fresh()
    document["organisation"]["siret"] = "3560000000004X"
    expect_error(submit(document), 400, "pattern", "organisation.siret")
    document = fresh()
    del document["offer"]
    expect_error(submit(document), 400, "required", "offer")
    document = fresh()
    document["organisation"]["colour"] = "vert"
    expect_error(submit(document), 400, "additionalProperties", "organisation.colour")


def test_wrong_content_type_is_415():
    response = gateway.request("POST", "/api/v1/applications", json.dumps(fresh()),
                               {"Content-Type": "text/plain"})
    expect_error(response, 415, "content_type")
    response = gateway.request("POST", "/api/v1/applications", json.dumps(fresh()))
    expect_error(response, 415, "content_type")
    ok = gateway.request("POST", "/api/v1/applications", json.dumps(fresh()),
                         {"Content-Type": "application/json; charset=utf-8"})
    assert ok.status == 201, ok
    accepted[ok.json()["id"]] = ok.json()["token"]


def test_a_body_over_the_limit_is_413():
    big = fresh()
    big["offer"]["description"] = "x" * (300 * 1024)
    response = gateway.post_json("/api/v1/applications", big)
    expect_error(response, 413, "body_max")
    # Announced: refused from the headers, before a byte of the body.
    head = ("POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (10 << 20)).encode()
    received, _ = gateway.raw(head)
    assert received.startswith(b"HTTP/1.1 413"), received[:200]
    # Chunked, never announced: read to its end, then refused.
    with socket.create_connection(("127.0.0.1", stack.port + 4), timeout=10) as s:
        s.sendall(b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        s.sendall(chunk * 6 + b"0\r\n\r\n")
        received = s.recv(65536)
        assert received.startswith(b"HTTP/1.1 413"), received[:200]
    # Chunked and endless: cut off, after a bounded number of bytes.
    sent = 0
    with socket.create_connection(("127.0.0.1", stack.port + 4), timeout=10) as s:
        s.sendall(b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < (64 << 20):
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < (16 << 20), sent
    assert gateway.request("GET", "/healthz").status == 200


def test_idempotency_key_gives_the_same_receipt_and_token():
    document = fresh()
    first = submit(document, key="cle-http-1")
    again = submit(document, key="cle-http-1")
    assert first.status == 201 and again.status == 201, (first, again)
    a, b = first.json(), again.json()
    assert a["id"] == b["id"] and a["token"] == b["token"] and b["duplicate"] and not a["duplicate"]
    assert gateway.status(a["id"], b["token"]).status == 200
    expect_error(submit(fresh(), key="k" * 65), 400, "maxLength", "Idempotency-Key")


def test_a_key_someone_else_used_gives_away_nothing():
    victim = submit(fresh(), key="cle-http-2").json()
    stranger = submit(fresh(), key="cle-http-2")
    error = expect_error(stranger, 409, "unique", "key")
    assert victim["token"] not in stranger.body.decode(), "the stranger got the victim's token"
    assert victim["id"] not in stranger.body.decode(), error


def test_one_open_application_per_siret_is_409():
    document = fresh()
    assert submit(document).status == 201
    document["organisation"]["name"] = "Autre nom"
    expect_error(submit(document), 409, "unique", "organisation.siret")


def test_amendment_needs_the_token_and_an_amendable_state():
    document = fresh("invalid", "LOY-TAX-unticked.json")
    receipt = submit(document).json()
    gateway.wait_state(receipt["id"], receipt["token"], ("incomplete",))
    path = "/api/v1/applications/" + receipt["id"]
    document["commitments"]["tax_compliance"] = True
    expect_error(gateway.post_json(path, document, method="PUT"), 401, "required")
    expect_error(gateway.post_json(path, document, token="B" * 43, method="PUT"), 404, "exists")
    changed = json.loads(json.dumps(document))
    changed["organisation"]["siret"] = harness.make_siret(999999)
    expect_error(gateway.post_json(path, changed, token=receipt["token"], method="PUT"), 400, "immutable",
                 "organisation.siret")
    expect_error(gateway.post_json(path, b'{"x":', token=receipt["token"], method="PUT"), 400, "json_syntax")
    response = gateway.post_json(path, document, token=receipt["token"], method="PUT")
    assert response.status == 200, response
    assert response.json()["revision"] == 2 and response.json()["state"] == "received"
    status = gateway.wait_state(receipt["id"], receipt["token"], ("in_review",))
    assert status["revision"] == 2
    # In review: not amendable.
    expect_error(gateway.post_json(path, document, token=receipt["token"], method="PUT"), 409, "state", "id")


def post_form(path, fields, headers=None):
    body = urllib.parse.urlencode(fields, doseq=True)
    return gateway.request("POST", path, body, dict({"Content-Type": "application/x-www-form-urlencoded"},
                                                    **(headers or {})))


def test_a_nul_in_a_form_value_is_refused_naming_the_field():
    fields = form_fields(fresh(), "cle-nul-1")
    fields["organisation.name"] = "Ab\x00cdef"
    response = post_form("/candidature", fields)
    assert response.status == 400, response
    text = response.text()
    assert "Formulaire illisible" in text and "« Nom de la structure »" in text, text[:3000]
    # Nothing was stored under that form: readable, it is the first application of its SIRET.
    fields["organisation.name"] = "Abcdef"
    assert post_form("/candidature", fields).status == 201


def test_a_long_line_of_multibyte_characters_is_read_whole():
    """171 euro signs: 513 bytes, 171 of the 200 characters a network may have."""
    fields = form_fields(fresh(), "cle-reseau-1")
    line = "€" * 171
    fields["ties.networks"] = line + "\r\nRéseau court"
    check = post_form("/candidature/verifier", fields, {"Accept": "application/json"})
    assert check.status == 200, check
    assert not [e for e in check.json()["errors"] if e["name"].startswith("ties.")], check.json()
    response = post_form("/candidature", fields)
    assert response.status == 201, (response, response.text()[:3000])
    app_id, token = re.search(r"/suivi/([a-z0-9]+)#jeton=([A-Za-z0-9_-]{43})", response.text()).groups()
    stored = gateway.status(app_id, token).json()["application"]
    assert stored["ties"]["networks"] == [line, "Réseau court"], stored["ties"]


def test_a_long_name_of_accented_letters_is_shown_whole():
    document = fresh()
    document["organisation"]["name"] = "é" * 190
    receipt = submit(document).json()
    response = gateway.request("POST", "/suivi/" + receipt["id"], urllib.parse.urlencode({"jeton": receipt["token"]}),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200, response
    assert "é" * 190 in response.body.decode("utf-8", errors="strict")


def test_appeal_and_key_refusals_name_the_member_and_the_rule():
    path = "/api/v1/applications/%s/appeal" % next(iter(accepted))
    token = accepted[next(iter(accepted))]
    expect_error(gateway.post_json(path, {"motivation": "x", "key": "y"}, token=token), 400,
                 "additionalProperties", "key")
    expect_error(gateway.post_json(path, {}, token=token), 400, "required", "motivation")
    expect_error(gateway.post_json(path, {"motivation": 5}, token=token), 400, "type", "motivation")
    expect_error(gateway.post_json(path, [], token=token), 400, "type", "")
    # A NUL would cut the motivation short: refused, named.
    error = expect_error(gateway.post_json(path, {"motivation": "Le comité\u0000 a mal lu."}, token=token), 400,
                         "control", "motivation")
    assert "NUL" in error["error"], error
    expect_error(gateway.post_json("/api/v1/token-reissue", {"contact": "x@inconnu.example", "x": 1}), 400,
                 "additionalProperties", "x")
    expect_error(gateway.post_json("/api/v1/token-reissue", {}), 400, "required", "contact")
    headers = {"Content-Type": "application/json", "Idempotency-Key": ""}
    empty = gateway.request("POST", "/api/v1/applications", json.dumps(fresh()), headers)
    error = expect_error(empty, 400, "minLength", "Idempotency-Key")
    assert "bytes" in error["error"], error


def test_wrong_method_and_unknown_path():
    expect_error(gateway.request("DELETE", "/api/v1/applications/abc"), 405, "method")
    expect_error(gateway.request("GET", "/api/v1/applications"), 405, "method")
    expect_error(gateway.request("GET", "/api/v2/nothing"), 404, "path")
    assert gateway.request("GET", "/nulle-part").status == 404


def test_pages_and_answers_carry_the_security_headers():
    """What a browser is told (OWASP ASVS 14.4 and 8.2.1): no sniffing, no
    referrer, no framing, scripts and forms only from the gateway itself,
    and nothing that names an application kept in a cache."""
    document = fresh()
    receipt = submit(document, key="headers-%d" % counter[0])
    assert receipt.status == 201, receipt
    app_id, token = receipt.json()["id"], receipt.json()["token"]
    for method, path, headers in (("GET", "/", {}), ("GET", "/charte", {}),
                                  ("GET", "/api/v1/applications/" + app_id,
                                   {"Authorization": "Bearer " + token}),
                                  ("GET", "/api/v1/applications/" + app_id, {})):
        response = gateway.request(method, path, headers=headers)
        assert response.status in (200, 401), (path, response)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (path, response.headers)
        assert response.headers.get("Referrer-Policy") == "no-referrer", (path, response.headers)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.headers)
        if response.headers["Content-Type"].startswith("text/html"):
            policy = response.headers.get("Content-Security-Policy", "")
            for directive in ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'",
                              "object-src 'none'"):
                assert directive in policy, (path, policy)


def test_nothing_accepted_is_lost():
    """Every 201 of this test run is in intake's stream exactly once, and
    survives a kill -9 of intake (a 201 is sent after the commit)."""
    stack.kill("intake")
    stack.start("intake", ready=True)
    events = pull_all(stack.port, "intake")
    submitted = [e["id"] for e in events if e["type"] == "submitted" and e["revision"] == 1]
    assert len(submitted) == len(set(submitted))
    missing = set(accepted) - set(submitted)
    assert not missing, missing
    for app_id, token in accepted.items():
        assert gateway.status(app_id, token).status == 200, app_id


def test_rate_limit_per_address_is_429():
    stack.kill("intake")
    stack.env.update(ESSP_HTTP_RATE="1", ESSP_HTTP_BURST="3")
    try:
        stack.start("intake", ready=True)
        codes = [gateway.request("GET", "/api/v1/charter").status for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429], codes
        response = gateway.request("GET", "/api/v1/charter")
        expect_error(response, 429, "rate")
        assert int(response.headers["Retry-After"]) >= 1
        response = submit(fresh())
        expect_error(response, 429, "rate")
        # Health checks are never limited, and a token comes back in time.
        assert gateway.request("GET", "/healthz").status == 200
        time.sleep(1.1)
        assert gateway.request("GET", "/api/v1/charter").status == 200
    finally:
        stack.kill("intake")
        stack.env.update(ESSP_HTTP_RATE="100000", ESSP_HTTP_BURST="100000")
        stack.start("intake", ready=True)


def test_a_body_that_never_ends_is_cut_off():
    stack.kill("intake")
    stack.env.update(ESSP_HTTP_TIMEOUT="2", ESSP_HTTP_BODY_TIMEOUT="2")
    try:
        stack.start("intake", ready=True)
        head = (b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{\"organisation\":")
        # Stalled: the connection is closed once it has been idle too long.
        received, took = gateway.raw(head, read_timeout=15)
        assert took < 6, took
        assert b"201" not in received
        # Trickled one byte at a time: cut off at the request deadline.
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", stack.port + 4), timeout=15) as s:
            s.sendall(head)
            received = b""
            try:
                for _ in range(40):
                    s.sendall(b" ")
                    s.settimeout(0.5)
                    try:
                        data = s.recv(4096)
                        if not data:
                            break
                        received += data
                        if b"\r\n\r\n" in received:
                            break
                    except socket.timeout:
                        pass
            except (BrokenPipeError, ConnectionResetError):
                pass
        took = time.monotonic() - started
        assert took < 8, took
        assert received == b"" or received.startswith(b"HTTP/1.1 408"), received[:200]
        # The gateway still answers.
        assert gateway.request("GET", "/healthz").status == 200
    finally:
        stack.kill("intake")
        del stack.env["ESSP_HTTP_TIMEOUT"], stack.env["ESSP_HTTP_BODY_TIMEOUT"]
        stack.start("intake", ready=True)


def test_sigterm_stops_the_gateway_cleanly():
    assert stack.kill("intake", harness.signal.SIGTERM) == 0
    stack.start("intake", ready=True)
    assert gateway.request("GET", "/healthz").status == 200


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_health_and_endpoints,
            test_charter_lists_every_criterion_in_french,
            test_submit_gives_a_receipt_with_a_token_and_the_status_needs_it,
            test_the_token_is_what_the_zeromq_status_compares_and_never_shows,
            test_refusals_of_the_body_name_the_rule,
            test_wrong_content_type_is_415,
            test_a_body_over_the_limit_is_413,
            test_idempotency_key_gives_the_same_receipt_and_token,
            test_a_key_someone_else_used_gives_away_nothing,
            test_one_open_application_per_siret_is_409,
            test_amendment_needs_the_token_and_an_amendable_state,
            test_a_nul_in_a_form_value_is_refused_naming_the_field,
            test_a_long_line_of_multibyte_characters_is_read_whole,
            test_a_long_name_of_accented_letters_is_shown_whole,
            test_appeal_and_key_refusals_name_the_member_and_the_rule,
            test_wrong_method_and_unknown_path,
            test_pages_and_answers_carry_the_security_headers,
            test_rate_limit_per_address_is_429,
            test_a_body_that_never_ends_is_cut_off,
            test_sigterm_stops_the_gateway_cleanly,
            test_nothing_accepted_is_lost,
        ])
    finally:
        stack.cleanup()
