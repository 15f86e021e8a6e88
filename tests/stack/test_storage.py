"""A disk that fills up is a temporary trouble, said as such: the stores of
the four services live on a small tmpfs; a ballast file takes the disk
below intake's reserve.  New submissions are then refused with 503 (a
French page on the form, rule storage in the API) and `essp submit` exits
75 or, given time, waits and resends by itself; votes and reads still pass
and each service warns once.  Once the ballast is gone, the waiting essp
ends by itself and every count is right.  (Run as root: it mounts.)"""

import json
import re
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import form_fields as form_fields_module  # noqa: E402
import harness  # noqa: E402
from essp_client import HTTP_OFFSET, SERVICES, Client  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
MIB = 1 << 20
DISK_MB = 64
RESERVE_MB = 16
stack = harness.Stack(BIN, env={"ESSP_MAP_MB": "4", "ESSP_DISK_RESERVE_MB": str(RESERVE_MB),
                                "ESSP_BACKOFF_MAX_MS": "500", "ESSP_HTTP_RATE": "1000",
                                "ESSP_HTTP_BURST": "1000"})
DATA = os.path.join(stack.home, "data")
BALLAST = os.path.join(DATA, "ballast")
work = tempfile.mkdtemp(prefix="essp-storage-")
gateway = Gateway(stack.port + HTTP_OFFSET)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
STORAGE_FR = "Le service ne peut pas enregistrer de candidature pour le moment"
SHORT = "disk under the store is short"
BELOW = "disk under the store is below its reserve"
counter = [0]
ids = []          # applications accepted through essp
form_ids = []     # applications accepted through the form
refused_form = []  # the form posted while the disk was short


def full_log(service):
    with open(os.path.join(stack.home, "log", service + ".log"), errors="replace") as f:
        return f.read()


def wait_log(service, text, timeout=10.0):
    """Waits for the line that says the service saw the disk's state."""
    deadline = time.monotonic() + timeout
    while text not in full_log(service):
        assert time.monotonic() < deadline, "%s never logged %r: %s" % (service, text, stack.log(service))
        time.sleep(0.05)


def disk_free():
    fs = os.statvfs(DATA)
    return fs.f_bavail * fs.f_frsize


def fill_to(free_bytes):
    """Grows the ballast until the disk has free_bytes left."""
    more = disk_free() - free_bytes
    assert more > 0, "the disk has only %d bytes free" % disk_free()
    size = os.path.getsize(BALLAST) if os.path.exists(BALLAST) else 0
    with open(BALLAST, "ab") as f:
        os.posix_fallocate(f.fileno(), size, more)
    assert abs(disk_free() - free_bytes) < MIB, disk_free()


def document():
    counter[0] += 1
    return harness.numbered_fixture(700 + counter[0])


def submit_path():
    return harness.write_json(work, "app%d.json" % counter[0], document())


def form_fields(doc, key):
    """The application as the form posts it (the mutuelle fixture), with a
    fourth reference."""
    fields = form_fields_module.mutuelle(doc, key)
    fields.update({
        "references[3].client": "Association Vendée Insertion Emploi", "references[3].client_is_ess": "true",
        "references[3].year": "2022", "references[3].kind": "support",
        "references[3].summary": "Accompagnement à la prévention des risques psychosociaux.",
    })
    return fields


def post_form(fields):
    body = urllib.parse.urlencode(fields, doseq=True)
    return gateway.request("POST", "/candidature", body, {"Content-Type": "application/x-www-form-urlencoded"})


def form_id(response):
    match = re.search(r'<strong class="id">([0-9a-z]+)</strong>', response.text())
    assert match, response.text()
    return match.group(1)


def vote(app_id, member):
    return stack.essp_json("vote", app_id, "approve", "--as", member)


def test_a_stack_on_a_small_disk():
    os.makedirs(DATA, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % DISK_MB, "essp-test", DATA], check=True)
    stack.start()
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)
    for _ in range(3):
        ids.append(stack.essp_json("submit", submit_path())["id"])
    for app_id in ids:
        stack.wait_state(app_id, "in_review")
    response = post_form(form_fields(document(), "form-before"))
    assert response.status == 201, re.findall(r'<div class="summary".*?</div>', response.text(), re.S)
    form_ids.append(form_id(response))
    for service in SERVICES:
        assert SHORT not in full_log(service) and BELOW not in full_log(service), stack.log(service)


def test_below_the_reserve_new_submissions_wait():
    # Below intake's reserve, above nothing: 5 MiB is under a tenth of the
    # disk, under the reserve, and room enough for votes.
    fill_to(5 * MIB)
    wait_log("intake", BELOW)
    for service in SERVICES:
        wait_log(service, SHORT)
    # The form: 503, Retry-After, and a page that says what happens, in French.
    refused_form.append(form_fields(document(), "form-full"))
    response = post_form(refused_form[0])
    assert response.status == 503, response
    assert int(response.headers["Retry-After"]) > 0
    assert STORAGE_FR in response.text(), response.text()
    # The API: 503, rule storage.
    response = gateway.post_json("/api/v1/applications", document(), key="api-full")
    assert response.status == 503 and response.json()["rule"] == "storage", response
    assert int(response.headers["Retry-After"]) > 0
    # essp without time to wait: its own exit code, not "refused".
    result = subprocess.run([os.path.join(BIN, "essp"), "submit", submit_path()], capture_output=True,
                            text=True, env=dict(stack.env, ESSP_RETRY_FOR_S="0"), timeout=60)
    assert result.returncode == 75, (result.returncode, result.stderr)
    assert "unavailable" in result.stderr and "storage" in result.stderr, result.stderr
    # essp with time (ESSP_RETRY_FOR_S, 600 by default) waits and resends.
    stderr_path = os.path.join(work, "waiting.err")
    path = submit_path()
    with open(stderr_path, "w") as err:
        waiting = subprocess.Popen([os.path.join(BIN, "essp"), "submit", path], env=stack.env,
                                   stdout=subprocess.PIPE, stderr=err, text=True)
    deadline = time.monotonic() + 10
    while open(stderr_path).read().count("retrying") < 2:
        assert time.monotonic() < deadline and waiting.poll() is None, open(stderr_path).read()
        time.sleep(0.05)
    # What is inside goes on: votes and reads pass.
    for name, _ in MEMBERS[:2]:
        assert vote(ids[0], name)["votes"] >= 1
    assert stack.essp_json("status", ids[1])["state"] == "in_review"
    # Each service said it once, not once per turn.
    for service in SERVICES:
        assert full_log(service).count(SHORT) == 1, stack.log(service)
    assert full_log("intake").count(BELOW) == 1, stack.log("intake")
    test_below_the_reserve_new_submissions_wait.waiting = (waiting, stderr_path)


def test_room_again_and_nothing_lost():
    waiting, stderr_path = test_below_the_reserve_new_submissions_wait.waiting
    os.unlink(BALLAST)
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, open(stderr_path).read()
    receipt = json.loads(out)
    assert receipt["id"] and not receipt.get("duplicate"), receipt
    ids.append(receipt["id"])
    wait_log("intake", "above its reserve again")
    # The form's refused application goes through now.
    response = post_form(refused_form[0])
    assert response.status == 201, re.findall(r'<div class="summary".*?</div>', response.text(), re.S)
    form_ids.append(form_id(response))
    # The votes cast on the short disk count: the third decides.
    vote(ids[0], MEMBERS[2][0])
    stack.wait_state(ids[0], ("approved", "published"))
    stack.wait_state(form_ids[-1], "in_review")
    # Every application accepted is before the committee, once; none of
    # those refused (the API's, the first essp's): the pipeline keeps their
    # order, so they would be there before the last one.
    queue = [item["id"] for item in stack.essp_lines("queue", "--as", MEMBERS[2][0])]
    assert sorted(queue) == sorted(ids[1:] + form_ids), (queue, ids, form_ids)


if __name__ == "__main__":
    try:
        harness.run([test_a_stack_on_a_small_disk, test_below_the_reserve_new_submissions_wait,
                     test_room_again_and_nothing_lost])
    finally:
        for name in list(stack.processes):
            stack.kill(name)
        subprocess.run(["umount", DATA], check=False)
        stack.cleanup()
        import shutil
        shutil.rmtree(work, ignore_errors=True)
