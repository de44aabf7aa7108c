"""The `project`, `serve` and `simulate` subcommands, as a person would run them."""

from __future__ import annotations

import json
import stat

import httpx
import pandas as pd
import pytest
from server_helpers import live_server, make_texts

from activelearn.cli import main
from activelearn.store import Store


@pytest.fixture
def table(tmp_path):
    texts, labels = make_texts(30)
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(30)], "text": texts, "label": labels}).to_csv(
        path, index=False
    )
    return path, labels


def _create(tmp_path, table, *extra):
    path, _labels = table
    return main(
        ["project", "create", str(tmp_path / "proj"), "--name", "reviews", "--data", str(path),
         "--id-column", "id", "--classes", "neg,pos", "--annotator", "alice", "--admin", "carol",
         "--tokens-file", str(tmp_path / "tokens.txt"), *extra]
    )  # fmt: skip


def test_create_prints_tokens_once_and_stores_hashes(tmp_path, table, capsys):
    assert _create(tmp_path, table, "--heldout-fraction", "0.1", "--budget", "20") == 0
    out = capsys.readouterr().out
    tokens = dict(line.split() for line in (tmp_path / "tokens.txt").read_text().splitlines())
    assert set(tokens) == {"alice", "carol"}
    assert stat.S_IMODE((tmp_path / "tokens.txt").stat().st_mode) == 0o600
    assert f"alice (annotator): {tokens['alice']}" in out
    # It cannot know the port `serve` will use, so it prints no link, only how to get one.
    assert ":8000" not in out and "#token=" + tokens["alice"] not in out
    assert f"run `activelearn serve {tmp_path / 'proj'}` to get the links" in out
    store = Store.open(tmp_path / "proj")
    info = store.project()
    assert info.budget == 20 and info.settings["heldout_fraction"] == 0.1
    assert store.authenticate(tokens["carol"]).is_admin
    assert not store.authenticate(tokens["alice"]).is_admin
    assert store.progress(info.id)["items"] == 30 and store.labels(info.id) == []
    assert store.item(info.id, "r3").text == pd.read_csv(table[0])["text"][3]


def test_create_imports_labels_and_samples(tmp_path, table):
    assert _create(tmp_path, table, "--label-column", "label", "--limit", "10") == 0
    store = Store.open(tmp_path / "proj")
    labels = {r.id: r.label for r in store.labels(store.project().id)}
    truth = dict(zip([f"r{i}" for i in range(30)], table[1], strict=True))
    assert len(labels) == 10 and labels == {key: truth[key] for key in labels}


def test_token_rotate_export_and_status(tmp_path, table, capsys):
    _create(tmp_path, table, "--label-column", "label")
    capsys.readouterr()
    folder = str(tmp_path / "proj")
    assert main(["project", "token", folder, "dave"]) == 0
    dave = capsys.readouterr().out.split("): ")[1].split()[0]
    store = Store.open(folder)
    assert store.authenticate(dave).name == "dave"
    assert main(["project", "token", folder, "dave", "--rotate"]) == 0
    assert store.authenticate(dave) is None
    out = tmp_path / "labels.parquet"
    assert main(["project", "export", folder, str(out)]) == 0
    assert len(pd.read_parquet(out)) == 30
    assert main(["project", "status", folder]) == 0
    out = capsys.readouterr().out
    assert "30 labels, 8 of them held out (neg 10, pos 20); 30 items, 0 open" in out
    # 30 items, a fifth held out: too few to ever evaluate a model on 10 held-out labels.
    assert "none can be trained: a model is evaluated on 10 held-out labels" in out


def test_simulate_command_labels_through_a_live_server(tmp_path, table, capsys):
    _create(tmp_path, table)
    truth = tmp_path / "truth.csv"
    pd.read_csv(table[0])[["id", "label"]].to_csv(truth, index=False)
    with live_server(tmp_path / "proj") as (url, _process):
        code = main(["simulate", url, "--tokens", str(tmp_path / "tokens.txt"),
                     "--truth", str(truth), "--max-labels", "8"])  # fmt: skip
    assert code == 0
    assert "8 labels" in capsys.readouterr().out
    store = Store.open(tmp_path / "proj")
    answers = {r.id: r.label for r in store.labels(store.project().id)}
    expected = dict(zip(*pd.read_csv(truth, dtype=str).T.values, strict=True))
    assert len(answers) == 8 and all(expected[k] == v for k, v in answers.items())


def test_simulate_refuses_truth_with_labels_the_project_does_not_have(tmp_path, table, capsys):
    _create(tmp_path, table)
    truth = tmp_path / "truth.csv"
    wrong = pd.read_csv(table[0])[["id", "label"]]
    wrong.loc[:4, "label"] = "awful"
    wrong.to_csv(truth, index=False)
    with live_server(tmp_path / "proj") as (url, _process):
        code = main(["simulate", url, "--tokens", str(tmp_path / "tokens.txt"),
                     "--truth", str(truth), "--max-labels", "8"])  # fmt: skip
    assert code != 0
    err = capsys.readouterr().err
    assert "the truth holds labels that are not classes of project" in err
    assert "awful (5 items)" in err
    store = Store.open(tmp_path / "proj")
    assert not store.labels(store.project().id)  # nobody started labeling


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'; available: "),
        (["--learner", "nope"], "unknown learner 'nope'; available: "),
        (["--strategy", "coreset"], "it needs embeddings, which neither features 'none' nor "
         "learner 'tfidf_logreg' give: use dense features (--features minilm"),
        (["--strategy", "bald", "--learner", "logistic_regression"],
         "it needs Monte-Carlo samples, which learner 'logistic_regression' does not give"),
        (["--strategy", "ratio", "--heldout-fraction", "0"],
         "it reads the model's predictions on the held-out set, and this project holds none"),
        (["--learner", "logistic_regression", "--features", "none"],
         "learner 'logistic_regression' cannot read raw texts"),
        (["--features", "efficientnet_lite0", "--learner", "logistic_regression"],
         "featurizer 'efficientnet_lite0' reads images, and this project holds texts"),
    ],
)  # fmt: skip
def test_create_refuses_a_model_that_cannot_work_with_the_reason_and_the_alternatives(
    tmp_path, table, capsys, flags, message
):
    assert _create(tmp_path, table, *flags) == 2
    err = capsys.readouterr().err
    assert message in err, err
    if "cannot run with" in err:
        assert "Strategies this learner and these features support: " in err
        assert "least_confidence" in err.split("support: ")[1]
    assert not (tmp_path / "proj" / "labels.db").exists()


def test_create_takes_the_model_from_flags_and_the_project_toml(tmp_path, table, capsys):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        'learner = { name = "committee", n_members = 3 }\nfeatures = "tfidf"\n'
        'strategy = "vote_entropy"\nretrain_every = 7\nbudget = 12\n'
    )
    assert _create(tmp_path, table, "--retrain-every", "9") == 0
    assert "model: learner committee, features tfidf, strategy vote_entropy" in (
        capsys.readouterr().out
    )
    info = Store.open(folder).project()
    assert info.strategy == "vote_entropy" and info.budget == 12
    assert info.settings["learner"] == {"name": "committee", "params": {"n_members": 3}}
    assert info.settings["features"] == {"name": "tfidf", "params": {}}
    assert info.settings["retrain_every"] == 9  # the flag wins over the file
    assert info.settings["kind"] == "text"


def test_serve_prints_its_links_and_keeps_tokens_out_of_its_log(tmp_path, table):
    """One live server for both: the links name its real port; ?token= never reaches the log."""
    _create(tmp_path, table)
    tokens = dict(line.split() for line in (tmp_path / "tokens.txt").read_text().splitlines())
    with live_server(tmp_path / "proj") as (url, _process):
        response = httpx.get(f"{url}/api/project", params={"token": tokens["alice"]})
        assert response.status_code == 400
        assert httpx.get(f"{url}/api/health").status_code == 200  # logged after the refusal
    (log,) = tmp_path.glob("proj-server-*.log")
    text = log.read_text()
    assert f"each person opens {url}/#token=THEIR_TOKEN" in text
    assert "GET /api/health" in text and "GET /api/project?token=%5Bredacted%5D" in text
    assert tokens["alice"] not in text


@pytest.mark.parametrize(
    "command", ["serve {}", "project status {}", "project token {} bob", "project export {} o.csv"]
)
def test_commands_without_a_project_say_how_to_make_one(tmp_path, capsys, command):
    folder = tmp_path / "missing"
    assert main(command.format(folder).split()) == 2
    assert "no labeling project in" in capsys.readouterr().err
    assert not folder.exists()  # nothing created on the way


def test_status_json_has_progress_annotators_and_every_version_with_its_metrics(
    tmp_path, table, capsys
):
    from activelearn.server.trainer import Trainer

    _create(tmp_path, table, "--heldout-fraction", "0.3", "--min-heldout", "2")
    folder = str(tmp_path / "proj")
    capsys.readouterr()
    assert main(["project", "status", folder, "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["versions"] == [] and before["first_model"].startswith("no model yet")
    store = Store.open(folder)
    info = store.project()
    tokens = dict(line.split() for line in (tmp_path / "tokens.txt").read_text().splitlines())
    alice = store.authenticate(tokens["alice"])
    truth = dict(zip([f"r{i}" for i in range(30)], table[1], strict=True))
    for n in range(22):
        item, _ = store.next_item(alice)
        kind = "skip" if n == 0 else "flag" if n == 1 else "label"
        store.submit(alice, item.id, f"s{n}", kind=kind, value=truth[item.id] if kind == "label"
                     else None)  # fmt: skip
    assert Trainer(store, info.id, isolate=False).train_once() == 1
    assert main(["project", "status", folder, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["progress"]["labeled"] == 20 and report["first_model"] is None
    people = {p["name"]: p for p in report["annotators"]}
    assert people["alice"] | {"heldout": 0} == {
        "name": "alice", "admin": False, "labels": 20, "heldout": 0, "seconds": 0, "skips": 1,
        "flags": 1, "undone": 0,
    }  # fmt: skip
    assert people["alice"]["heldout"] == report["progress"]["heldout_labeled"]
    assert people["carol"]["admin"] and people["carol"]["labels"] == 0
    (version,) = report["versions"]
    assert version["state"] == "ready" and version["n_train"] + version["n_heldout"] == 20
    assert set(version["class_f1"]) == {"neg", "pos"}
    for key in ("accuracy", "macro_f1", "fp", "fn", "seconds"):
        assert version[key] is not None
    assert main(["project", "status", folder]) == 0
    assert "alice: 20 labels" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flag", "stored"),
    [
        ("self_training:precision=0.9", {"name": "self_training", "params": {"precision": 0.9}}),
        ("self_training_whole_pool", {"name": "self_training_whole_pool", "params": {}}),
        ("none", None),
    ],
)
def test_semi_supervision_is_named_as_run_names_it(tmp_path, table, flag, stored):
    assert _create(tmp_path, table, "--semi-supervised", flag) == 0
    store = Store.open(tmp_path / "proj")
    assert store.project().settings["semi_supervised"] == stored
