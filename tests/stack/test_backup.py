"""essp backup under load, essp restore into a new home, and the restored
stack at work.  While applications are submitted (over ZeroMQ), the
committee votes on them and a mirror follows the publication stream, the
stack is backed up; the load goes on past the backup.  The backup,
restored into a new home and started: every application acknowledged
before the backup began is there in the state it had reached (published
when its approval was acknowledged), new work goes through the whole
pipeline, the publication stream is gapless, and the mirror that followed
the old stack past the backup point stops with a clear "rewind detected"
instead of mixing two histories.  restore refuses a home that is not
empty.  The figures (intake's hold, each copy, the sizes) are printed."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
import rewinding  # noqa: E402
from essp_client import HOMES, Client, pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
SERVICES = ("intake", "validation", "review", "publication", "notify")


class Load:
    """Submissions and the committee's votes, each in a thread, noting when
    each acknowledgment came."""

    def __init__(self, stack):
        self.stack = stack
        self.stop = threading.Event()
        self.submitted = {}          # id -> monotonic time of the receipt
        self.approved = {}           # id -> time of the vote ack that decided it
        self.errors = []
        self.threads = [threading.Thread(target=self._submit), threading.Thread(target=self._vote)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()
        assert not self.errors, self.errors

    def _submit(self):
        intake = Client(self.stack.port, "intake")
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                document = harness.numbered_fixture(1000 + n)
                receipt = intake.call("submit", application=document, key="load-%d" % n)
                if receipt["type"] != "receipt":
                    self.errors.append(receipt)
                    return
                self.submitted[receipt["id"]] = time.monotonic()
                time.sleep(0.02)
        except Exception as error:  # noqa: BLE001 - reported by finish()
            self.errors.append(repr(error))
        finally:
            intake.close()

    def _vote(self):
        members = [(name, self.stack.review_as(name)) for name, _ in publishing.MEMBERS]
        try:
            while not self.stop.is_set():
                queue = members[0][1].call("queue")["items"]
                for item in queue:
                    for name, client in members:
                        ack = client.call("vote", id=item["id"], decision="approve")
                        if ack["type"] != "vote_ack":
                            self.errors.append(ack)
                            return
                        if ack.get("outcome") and not ack["duplicate"]:
                            self.approved[item["id"]] = time.monotonic()
                if not queue:
                    time.sleep(0.05)
        except Exception as error:  # noqa: BLE001 - reported by finish()
            self.errors.append(repr(error))
        finally:
            for _, client in members:
                client.close()


def directory_ids(stack):
    return sorted(e["id"] for e in stack.essp_lines("directory"))


def site_matches(stack, mirror):
    try:
        shown = json.loads(mirror.read("annuaire.json"))
    except (OSError, ValueError):
        return False
    return shown == harness.without_iso(stack.essp_lines("directory"))


def check_manifest(backup):
    with open(os.path.join(backup, "manifest.json")) as f:
        manifest = json.load(f)
    services = manifest["services"]
    assert sorted(services) == sorted(SERVICES), services
    for name, entry in services.items():
        for producer, cursor in entry["cursors"].items():
            assert cursor <= services[producer]["head"], (name, producer, cursor, services[producer]["head"])
    assert manifest["time"].endswith("Z") and manifest["version"]
    # Keys: the directory 0700, every secret 0600.
    keys = os.path.join(backup, "keys")
    assert os.stat(keys).st_mode & 0o777 == 0o700
    secrets = [os.path.join(d, f) for d, _, files in os.walk(keys) for f in files if f.endswith("_secret")]
    assert secrets and all(os.stat(s).st_mode & 0o777 == 0o600 for s in secrets), secrets
    return manifest


def test_a_hold_is_for_staff_and_ends_by_itself():
    stack = harness.Stack(BIN)
    work = tempfile.mkdtemp(prefix="essp-hold-")
    try:
        stack.start()
        publishing.add_members(stack)
        plain = Client(stack.port, "intake").call("backup_hold", ms=1000)
        assert (plain["type"], plain["code"], plain["rule"]) == ("error", "forbidden", "authentication"), plain
        member = stack.review_as("Claire Moreau", service="intake").call("backup_hold", ms=1000)
        assert (member["code"], member["rule"]) == ("forbidden", "role"), member
        # A hold that nobody ends (a backup that died) runs out: intake
        # follows its streams again and the file reaches the committee.
        held = stack.staff(service="intake").call("backup_hold", ms=1500)
        assert held["type"] == "held" and held["service"] == "intake" and held["ms"] == 1500, held
        assert sorted(held["cursors"]) == ["publication", "review", "validation"], held
        app_id = publishing.Publisher(stack, work).submit(publishing.Publisher(stack, work).document())
        stack.wait_state(app_id, "in_review")
        assert "the backup's hold of the upstream streams ran out" in stack.log("intake")
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_backup_under_load_restores_a_working_stack():
    old = harness.Stack(BIN)
    new = None
    work = tempfile.mkdtemp(prefix="essp-backup-")
    backup = os.path.join(work, "backup")
    try:
        old.start()
        old.start("notify")
        publishing.add_members(old)
        mirror = publishing.Mirror(old)
        mirror.start()
        early = os.path.join(work, "early")
        old.essp("backup", early)
        load = Load(old)
        load.start()
        while len(load.approved) < 3:
            time.sleep(0.05)
        # What was acknowledged before the backup began.
        began = time.monotonic()
        submitted = {i for i, t in load.submitted.items() if t < began}
        approved = {i for i, t in load.approved.items() if t < began}
        env_file = os.path.join(work, "essp.env")
        with open(env_file, "w") as f:
            f.write("ESSP_PORT=%d\n" % old.port)
        with open(os.path.join(old.home, "essp.conf"), "w") as f:
            f.write("ESSP_QUORUM_VOTES=3\n")
        result = old.essp("backup", backup, "--env", env_file)
        figures = [json.loads(line) for line in result.stdout.splitlines()]
        manifest = check_manifest(backup)
        # The old stack goes on past the backup point: more approvals,
        # which the mirror follows.  Counted from the backup's end, not
        # its beginning: a decision acknowledged while the backup ran may
        # be in it, and a restored stack that publishes everything the old
        # one did would leave the mirror nothing to see.
        ended = time.monotonic()
        published_then = manifest["services"]["publication"]["head"]
        while sum(1 for t in list(load.approved.values()) if t > ended) < 3:
            time.sleep(0.05)
        load.finish()
        for app_id in load.approved:
            old.wait_state(app_id, "published")
        mirror.wait_for(lambda: site_matches(old, mirror))
        old_head = Client(old.port, "publication").call("ping")["head"]
        assert old_head > published_then, (old_head, published_then)
        assert mirror.kill(signal.SIGTERM) == 0
        old.stop()

        # Restore refuses a backup whose review is older than what its
        # readers applied (review's store taken from the earlier backup,
        # as copying the stores one by one would do), naming the breach.
        mixed = os.path.join(work, "mixed")
        shutil.copytree(backup, mixed)
        shutil.copyfile(os.path.join(early, "review", "data.mdb"), os.path.join(mixed, "review", "data.mdb"))
        with open(os.path.join(early, "manifest.json")) as f:
            early_manifest = json.load(f)
        early_review = early_manifest["services"]["review"]
        mixed_manifest = dict(manifest, services=dict(manifest["services"], review=early_review),
                              files=dict(manifest["files"], **{"review/data.mdb":
                                                               early_manifest["files"]["review/data.mdb"]}))
        with open(os.path.join(mixed, "manifest.json"), "w") as f:
            json.dump(mixed_manifest, f)
        elsewhere = dict(old.env, ESSP_HOME=os.path.join(work, "mixed-home"))
        refused = subprocess.run([os.path.join(BIN, "essp"), "restore", mixed], env=elsewhere,
                                 capture_output=True, text=True)
        assert refused.returncode == 1, refused
        breach = re.search(r"refused: (\w+) has applied review's stream up to seq (\d+) but review's copy ends at "
                           r"(\d+)", refused.stderr)
        assert breach, refused.stderr
        reader, cursor, ends = breach.group(1), int(breach.group(2)), int(breach.group(3))
        assert cursor == manifest["services"][reader]["cursors"]["review"] and ends == early_review["head"] < cursor
        assert not os.path.exists(os.path.join(work, "mixed-home", "data")), "a refused restore wrote nothing"
        # Restore refuses a home that is not empty, and changes nothing.
        refused = old.essp("restore", backup, check=False)
        assert refused.returncode == 1 and "is not empty" in refused.stderr, refused.stderr
        new = harness.Stack(BIN)
        shutil.rmtree(new.home)
        restored = new.essp("restore", backup)
        assert json.loads(restored.stdout)["time"] == manifest["time"]
        # The settings came along: essp.conf into the home, the
        # environment file beside the manifest for the operator to compare.
        with open(os.path.join(new.home, "essp.conf")) as f:
            assert f.read() == "ESSP_QUORUM_VOTES=3\n"
        assert os.stat(os.path.join(backup, "essp.env")).st_mode & 0o777 == 0o600
        assert "essp.env beside the manifest" in restored.stderr, restored.stderr
        new.start()
        new.start("notify")
        # The mirror of the old stack, pointed at the restored one, stops
        # at once and says why; its site stays as it was.
        site = mirror.read("annuaire.json")
        code = mirror.once(timeout=60, env=dict(new.env))
        assert code == 5, (code, mirror.log())
        said = re.findall(r"REWIND DETECTED: the publication stream at \S+ ends at seq (\d+) but this mirror "
                          r"has applied it up to seq (\d+)", mirror.log())
        assert len(said) == 1 and int(said[0][0]) < old_head and int(said[0][1]) == old_head, mirror.log()
        assert mirror.read("annuaire.json") == site
        # Every application acknowledged before the backup is there, in its
        # state: published when its approval was acknowledged, the others
        # on their way to the committee.
        for app_id in sorted(approved):
            new.wait_state(app_id, "published")
        for app_id in sorted(submitted - approved):
            new.wait_state(app_id, ("in_review", "published"))
        # Work continues: files before the committee are decided, a new
        # one goes all the way.
        publisher = publishing.Publisher(new, work)
        waiting = [i for i in sorted(submitted - approved) if new.essp_json("status", i)["state"] == "in_review"]
        for app_id in waiting[:2]:
            publisher.approve(app_id)
        fresh = publisher.publish(publisher.document(name="Après la Restauration"))
        # The publication stream is gapless and the directory follows it.
        events = pull_all(new.port, "publication")
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        listed = set(directory_ids(new))
        assert fresh in listed and approved <= listed and set(waiting[:2]) <= listed, listed
        for figure in figures:
            print("figure", json.dumps(figure, sort_keys=True))
        print("figure submitted %d, approved %d before the backup" % (len(submitted), len(approved)))
    finally:
        old.cleanup()
        if new:
            new.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def restore_into(stack, backup, home):
    """essp restore of backup into home, the stack's other settings kept."""
    return subprocess.run([os.path.join(BIN, "essp"), "restore", backup], env=dict(stack.env, ESSP_HOME=home),
                          capture_output=True, text=True, timeout=120)


def rewrite_manifest(backup, change):
    path = os.path.join(backup, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    change(manifest)
    with open(path, "w") as f:
        json.dump(manifest, f)


def refused(stack, backup, *said):
    """Restores backup into a new home: exit 1, each of said in what it
    printed, and the home left as it was (never created)."""
    home = backup + "-home"
    result = restore_into(stack, backup, home)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert all(s in result.stderr for s in said), (said, result.stderr)
    assert not os.path.exists(home), (os.listdir(home), result.stderr)
    return result


def test_a_damaged_backup_is_refused_and_changes_nothing():
    """A backup damaged after it was made: a copy cut short (restore died
    of SIGBUS), a page with bytes flipped (restored, it lost applications),
    a file it never held, the keys missing.  Each is refused, naming the
    file, before anything is laid out; a restore that fails while laying
    out leaves the home as it was, and a good backup is restored there."""
    stack = harness.Stack(BIN)
    work = tempfile.mkdtemp(prefix="essp-damaged-")
    backup = os.path.join(work, "backup")
    try:
        stack.start()
        intake = Client(stack.port, "intake")
        ids = [intake.call("submit", application=harness.numbered_fixture(2000 + n), key="damaged-%d" % n)["id"]
               for n in range(20)]
        intake.close()
        stack.essp("backup", backup)
        stack.stop()
        with open(os.path.join(backup, "manifest.json")) as f:
            manifest = json.load(f)

        def damaged(name, damage):
            copy = os.path.join(work, name)
            shutil.copytree(backup, copy)
            damage(copy)
            return copy

        # A copy cut short by its last page, or by half.
        bytes_ = manifest["services"]["intake"]["bytes"]
        for name, size in (("cut-page", bytes_ - 4096), ("cut-half", bytes_ // 2)):
            copy = damaged(name, lambda c: os.truncate(os.path.join(c, "intake", "data.mdb"), size))
            refused(stack, copy, "%s/intake/data.mdb holds %d bytes but manifest.json says %d" % (copy, size, bytes_))
        # Cut short with the manifest made to agree (and no digests, as
        # before they were kept): LMDB's own meta page still says how far
        # the pages run.
        def cut_both(copy):
            os.truncate(os.path.join(copy, "intake", "data.mdb"), bytes_ - 4096)
            rewrite_manifest(copy, lambda m: (m["services"]["intake"].update(bytes=bytes_ - 4096), m.pop("files")))
        refused(stack, damaged("cut-both", cut_both), "%s/intake/data.mdb is cut short: its pages run to byte %d but "
                "it holds %d bytes" % (os.path.join(work, "cut-both"), bytes_, bytes_ - 4096))
        # Every file of the backup has its BLAKE2b in the manifest.
        files = manifest["files"]
        assert "intake/data.mdb" in files and "keys/intake.cert_secret" in files, sorted(files)
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in files.values()), files
        # Bytes flipped in one page of intake's copy (its size unchanged):
        # restored, it lost applications; refused, naming the file.
        def flip(copy):
            with open(os.path.join(copy, "intake", "data.mdb"), "r+b") as f:
                f.seek(3 * 4096 + 100)
                page = f.read(64)
                f.seek(3 * 4096 + 100)
                f.write(bytes(b ^ 0x5A for b in page))
        refused(stack, damaged("flipped", flip), "%s/intake/data.mdb does not match its BLAKE2b digest in "
                "manifest.json" % os.path.join(work, "flipped"))
        # A key the backup did not hold is refused as well.
        def intruder(copy):
            with open(os.path.join(copy, "keys", "intruder"), "w") as f:
                f.write("x")
        refused(stack, damaged("intruder", intruder), "%s/keys/intruder is not listed in manifest.json"
                % os.path.join(work, "intruder"))
        # A backup made before the digests is restored, saying it could
        # not be verified.
        old = damaged("old", lambda c: rewrite_manifest(c, lambda m: m.pop("files")))
        result = restore_into(stack, old, os.path.join(work, "old-home"))
        assert result.returncode == 0, result.stderr
        assert "holds no digests (a backup made by an earlier essp): its files could not be verified" \
            in result.stderr, result.stderr
        # A manifest of a later format comes from a newer essp.
        newer = damaged("newer", lambda c: rewrite_manifest(c, lambda m: m.update(format=2)))
        refused(stack, newer, "%s/manifest.json is of format 2, written by a newer essp" % newer)
        # A restore that fails part-way leaves the home as it was: the
        # keys missing, or the settings unreadable (a directory), in a
        # backup that cannot be verified.
        def without_keys(copy):
            shutil.rmtree(os.path.join(copy, "keys"))
            rewrite_manifest(copy, lambda m: m.pop("files"))
        refused(stack, damaged("no-keys", without_keys),
                "%s/keys is missing or not a directory" % os.path.join(work, "no-keys"))
        def settings_unreadable(copy):
            os.mkdir(os.path.join(copy, "essp.conf"))
            rewrite_manifest(copy, lambda m: m.pop("files"))
        refused(stack, damaged("bad-settings", settings_unreadable),
                "cannot copy %s/essp.conf" % os.path.join(work, "bad-settings"), "nothing was restored")
        # Into a home that exists and is empty: still empty after a failed
        # restore, and a good backup is then restored into it and runs.
        home = os.path.join(work, "empty-home")
        os.mkdir(home)
        result = restore_into(stack, os.path.join(work, "bad-settings"), home)
        assert result.returncode == 1 and os.listdir(home) == [], (result.stderr, os.listdir(home))
        result = restore_into(stack, backup, home)
        assert result.returncode == 0, result.stderr
        original = stack.home
        try:
            stack.home = stack.env["ESSP_HOME"] = HOMES[stack.port] = home
            stack.start()
            for app_id in ids:
                assert stack.essp_json("status", app_id)["id"] == app_id
        finally:
            shutil.rmtree(original, ignore_errors=True)
        assert len(ids) == 20
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_a_rewound_stack_is_not_backed_up_and_says_what_to_do():
    """On a stack whose review was put back to an older copy (its readers
    stopped at the rewind), no backup can be consistent: essp backup fails
    and says to repair the rewind, not to run it again."""
    rewound = rewinding.RewoundStack(BIN).run()
    try:
        result = rewound.stack.essp("backup", os.path.join(rewound.work, "backup"), check=False)
        assert result.returncode == 1, result
        assert re.search(r"has applied review's stream up to seq \d+ but review's copy ends at \d+", result.stderr), \
            result.stderr
        assert "README « A rewind is refused »" in result.stderr and "run essp backup again" not in result.stderr, \
            result.stderr
    finally:
        rewound.cleanup()


if __name__ == "__main__":
    harness.run([test_a_hold_is_for_staff_and_ends_by_itself, test_backup_under_load_restores_a_working_stack,
                 test_a_damaged_backup_is_refused_and_changes_nothing,
                 test_a_rewound_stack_is_not_backed_up_and_says_what_to_do])
