#!/bin/sh
# essp check as people run it: the built program on the fixtures, its exit
# codes (0 complete, 1 incomplete or refused file, 2 usage), its JSON and
# --text output, --today.   Usage: test_check.sh BIN_DIR FIXTURES_DIR
set -u
essp="$1/essp"
fixtures="$2/applications"
failures=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect CODE DESCRIPTION ARGS...: runs essp check ARGS, the exit code must be CODE.
expect() {
    code=$1 what=$2
    shift 2
    "$essp" check "$@" >"$out" 2>"$err"
    got=$?
    if [ "$got" -ne "$code" ]; then
        echo "FAIL: $what: essp check $* exited $got, not $code"
        sed 's/^/  stderr: /' "$err"
        failures=$((failures + 1))
        return 1
    fi
    return 0
}

# contains FILE TEXT DESCRIPTION
contains() {
    if ! grep -qF -- "$2" "$1"; then
        echo "FAIL: $3: no '$2' in the output"
        sed 's/^/  | /' "$1" | head -5
        failures=$((failures + 1))
    fi
}

day=2026-11-26
for file in "$fixtures"/valid/*.json; do
    expect 0 "valid $(basename "$file")" "$file" --today "$day" && contains "$out" '"verdict":"review"' "$file"
done

# Blocking criteria: the application is incomplete.
for name in ESS-ID-siret-checksum ESS-FORM-commercial-without-esus ESS-ESUS-expired LOY-TAX-unticked; do
    expect 1 "$name" --today "$day" "$fixtures/invalid/$name.json" \
        && contains "$out" '"verdict":"incomplete"' "$name"
done

# --text: the report for people.
expect 1 "--text" --text --today "$day" "$fixtures/invalid/ESS-ID-siret-checksum.json"
contains "$out" "Verdict : dossier incomplet" "--text"
contains "$out" "ESS-ID        non conforme" "--text"
expect 0 "--text valid" "$fixtures/valid/mutuelle-entraide-vendee.json" --text --today="$day"
contains "$out" "Statut juridique reconnu par la charte : Mutuelle." "--text valid"

# --today: an agreement that has run out, while it still ran.
expect 0 "--today before the expiry" --today 2024-01-01 "$fixtures/invalid/ESS-ESUS-expired.json"

# Standard input.
if ! "$essp" check - --today "$day" <"$fixtures/valid/scop-ancrage-conseil-nantes.json" >"$out" 2>"$err"; then
    echo "FAIL: essp check - (standard input)"
    failures=$((failures + 1))
fi

# Refused files: exit 1, the reason on stderr.
expect 1 "missing file" /nonexistent/application.json && contains "$err" "cannot read" "missing file"
echo '{"organisation": {}}' >"$out.json"
expect 1 "schema" "$out.json" && contains "$err" "rule" "schema"
rm -f "$out.json"

# Usage: exit 2.
expect 2 "no file"
expect 2 "two files" a.json b.json
expect 2 "unknown option" --bogus "$fixtures/valid/mutuelle-entraide-vendee.json"
expect 2 "a bad --today" --today 2026-13-45 "$fixtures/valid/mutuelle-entraide-vendee.json"
expect 2 "--today without its value" "$fixtures/valid/mutuelle-entraide-vendee.json" --today
expect 0 "--help" --help && contains "$out" "usage: essp check FILE.json" "--help"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "essp check: every exit code and output as expected"
