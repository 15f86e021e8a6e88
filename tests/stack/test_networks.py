"""Networks from one list, on the real stack: a committee member tied to a
network under one of its names is recused from an application that declares
it under another ("URSCOP Ouest" and "Union régionale des Scop de l'Ouest"),
and not from one that declares a different network; `essp networks` prints
the list and tells a name it does not know."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
state = {}


def in_review(seed, networks):
    document = harness.numbered_fixture(seed)
    document["ties"] = {"networks": networks}
    receipt = Client(stack.port, "intake").call("submit", application=document, key="networks-%d" % seed)
    assert receipt["type"] == "receipt", receipt
    stack.wait_state(receipt["id"], "in_review")
    return receipt["id"]


def queue_item(name, app_id):
    client = stack.review_as(name)
    reply = client.call("queue")
    client.close()
    assert reply["type"] == "queue", reply
    return next(i for i in reply["items"] if i["id"] == app_id)


def test_members_declare_networks_by_any_name():
    result = stack.essp("member", "add", "Nadia Haddad", "--college", "ess_networks", "--network", "URSCOP Ouest")
    assert "not in the list" not in result.stderr, result.stderr
    result = stack.essp("member", "add", "Claire Moreau", "--college", "researchers",
                        "--network", "Collectif des tiers-lieux de Sarthe")
    assert "network 'Collectif des tiers-lieux de Sarthe' is not in the list" in result.stderr, result.stderr
    stack.essp("member", "add", "Hervé Le Guen", "--college", "local_authorities", "--network", "FNMF")


def test_a_network_declared_under_another_name_recuses():
    app_id = in_review(7101, ["Union régionale des Scop de l'Ouest"])
    item = queue_item("Nadia Haddad", app_id)
    assert item["recused"] is True, item
    assert {"role": "network", "network": "Union régionale des Scop de l'Ouest"} in item["conflicts"], item
    assert queue_item("Claire Moreau", app_id)["recused"] is False
    assert queue_item("Hervé Le Guen", app_id)["recused"] is False


def test_free_text_and_other_networks():
    app_id = in_review(7102, ["collectif des TIERS LIEUX de sarthe", "Mutualité française Pays de la Loire"])
    claire = queue_item("Claire Moreau", app_id)
    assert claire["recused"] is True and claire["conflicts"] == [
        {"role": "network", "network": "collectif des TIERS LIEUX de sarthe"}], claire
    herve = queue_item("Hervé Le Guen", app_id)
    assert herve["conflicts"] == [{"role": "network", "network": "Mutualité française Pays de la Loire"}], herve
    assert queue_item("Nadia Haddad", app_id)["recused"] is False


def test_the_list_is_printed_and_names_are_looked_up():
    lines = stack.essp_lines("networks")
    codes = [line["code"] for line in lines]
    assert len(codes) == len(set(codes)) >= 20, codes
    assert {"urscop-ouest", "cress-pdl", "france-active", "mouvement-associatif", "udes"} <= set(codes)
    found = stack.essp_json("networks", "les Scop de l’Ouest")
    assert found["code"] == "urscop-ouest" and found["name"] == "URSCOP Ouest", found
    unknown = stack.essp("networks", "Réseau imaginaire", check=False)
    assert unknown.returncode == 1 and "not in the list" in unknown.stderr, unknown
    assert stack.essp("networks", "a", "b", check=False).returncode == 2


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_members_declare_networks_by_any_name,
            test_a_network_declared_under_another_name_recuses,
            test_free_text_and_other_networks,
            test_the_list_is_printed_and_names_are_looked_up,
        ])
    finally:
        stack.cleanup()
