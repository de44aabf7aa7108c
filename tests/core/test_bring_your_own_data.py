"""Bring-your-own-data findings of a trial (issue "One engine, one data path, honest
defaults"), each through the command line as a user meets it."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from activelearn.cli import EXIT_LABELS_PENDING, main

WORDS = {
    "ham": ["meeting", "lunch", "tomorrow", "thanks", "call", "home", "later", "ok"],
    "spam": ["free", "win", "prize", "cash", "claim", "urgent", "offer", "txt"],
}


def messages(n=400, spam_share=0.12, seed=0, quotes=True):
    """Short two-class messages, imbalanced, some with unescaped double quotes."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "spam" if rng.random() < spam_share else "ham"
        words = [
            *rng.choice(WORDS[label], 3),
            *rng.choice(WORDS["ham" if label == "spam" else "spam"], 1),
        ]
        text = " ".join(words) + f" m{i}"
        if quotes and i % 7 == 0:
            text = f'he said "{text}'  # an unescaped quote, as in real SMS data
        rows.append((label, text))
    return rows


def write_tsv(path, rows, header=False):
    lines = (["label\ttext"] if header else []) + [f"{label}\t{text}" for label, text in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(args, tmp_path, name="out"):
    out = tmp_path / name
    code = main(["run", *args, "--output", str(out)])
    return code, out


def test_a_tsv_with_quotes_loses_no_message_and_blank_labels_are_counted(tmp_path, capsys):
    rows = messages(300)
    rows[5] = ("", "this one has no label")
    path = write_tsv(tmp_path / "SMSSpamCollection", rows)  # no extension, no header
    code, out = run(
        [
            "--dataset",
            "csv",
            "--data",
            str(path),
            "--no-header",
            "--label-column",
            "1",
            "--text-column",
            "2",
            "--strategy",
            "margin",
            "--initial-size",
            "30",
            "--batch-size",
            "20",
            "--rounds",
            "1",
        ],
        tmp_path,
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "300 rows read, 299 loaded; 1 skipped: blank label" in err and "line 6" in err
    assert "read as tsv" in err
    run_summary = json.loads((out / "summary.json").read_text())["runs"][0]
    assert run_summary["rows"]["read"] == 300 and run_summary["rows"]["loaded"] == 299
    assert [e["row"] for e in run_summary["rows"]["skipped"]] == [6]
    splits = run_summary["splits"]
    assert splits["pool"] + splits["validation"] + splits["test"] == 299


def test_the_default_seed_is_random_and_balanced_is_refused_with_people(tmp_path, capsys):
    path = write_tsv(tmp_path / "m.tsv", messages(300), header=True)
    base = [
        "--dataset",
        "csv",
        "--data",
        str(path),
        "--label-column",
        "label",
        "--text-column",
        "text",
        "--initial-size",
        "30",
        "--batch-size",
        "20",
    ]
    code, out = run([*base, "--strategy", "random", "--rounds", "1"], tmp_path)
    assert code == 0
    assert json.loads((out / "settings.json").read_text())["initial_method"] == "random"
    history = json.loads((out / "random" / "seed_0" / "history.json").read_text())
    assert "seed: 30 drawn by random" in history[0]["notes"]
    code, _ = run([*base, "--oracle", "file", "--initial-method", "balanced"], tmp_path, "o2")
    assert code == 2
    err = capsys.readouterr().err
    assert "'balanced' reads the hidden labels" in err and "Traceback" not in err
    assert "balanced (reads the hidden labels: simulation only)" in _help(capsys)


def _help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_linear_learners_weight_classes_unless_told_not_to(tmp_path):
    from activelearn.catalog import load_task
    from activelearn.experiments.config import parse_config

    path = write_tsv(tmp_path / "m.tsv", messages(300), header=True)
    dataset = {"name": "csv", "path": str(path), "label_column": "label", "text_column": "text"}
    task = load_task(dataset)
    assert task.make_learner("logistic_regression").class_weight == "balanced"
    from activelearn.cli.run_settings import RunSettings

    settings = RunSettings(
        dataset="csv",
        dataset_params={k: v for k, v in dataset.items() if k != "name"},
        class_weight="none",
        rounds=1,
    )
    spec, _ = parse_config(settings.experiment()).loop_specs()[0]
    assert task.make_learner(spec.learner).class_weight is None


def test_experiment_on_an_imbalanced_csv_of_0_1_labels_runs_every_cell(tmp_path, capsys):
    rows = messages(400, spam_share=0.1)
    path = tmp_path / "m.csv"
    path.write_text(
        "label,text\n"
        + "\n".join(f"{int(lb == 'spam')},{t.replace(chr(34), '')}" for lb, t in rows)
        + "\n"
    )
    config = tmp_path / "grid.toml"
    config.write_text(f"""
[experiment]
name = "imbalanced"
[grid]
datasets = [{{name = "csv", path = "{path}", label_column = "label", text_column = "text"}}]
learners = ["logistic_regression"]
strategies = ["margin"]
seeds = [0, 1]
budgets = [80]
batch_sizes = [20]
[loop]
initial_size = 40
""")
    assert main(["experiment", str(config), "--output", str(tmp_path / "x"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "6 cells: 0 cached, 6 run now, 0 failed" in out and "minority F1" in out
    cells = [json.loads(p.read_text()) for p in (tmp_path / "x" / "cells").glob("*.json")]
    al = [c for c in cells if c["kind"] == "al"]
    assert all(c["status"] == "ok" and c["minority_class"] == "1" for c in al)
    # a bad path is found before any cell starts, in one line
    bad = config.read_text().replace(str(path), str(tmp_path / "nope.csv"))
    config.write_text(bad)
    assert main(["experiment", str(config), "--output", str(tmp_path / "y"), "--quiet"]) == 2
    assert "nope.csv does not exist" in capsys.readouterr().err
    assert not (tmp_path / "y" / "cells").exists()


@pytest.mark.parametrize("strategy", ["vote_entropy", "kl_consensus", "bald"])
def test_query_by_committee_runs_inside_the_loop(strategy, blobs):
    from sklearn.linear_model import LogisticRegression

    from activelearn import ActiveLearningLoop, Committee, Pool

    X, y, Xt, yt = blobs
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y),
        Committee(learner=LogisticRegression(), n_members=5),
        strategy,
        initial_size=20,
        batch_size=10,
        max_rounds=2,
        test=(Xt, yt),
    )
    history = loop.run()
    assert [r["n_labeled"] for r in history] == [20, 30, 40]
    # n_samples is a real parameter: 3 of the 5 members
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y),
        Committee(learner=LogisticRegression(), n_members=5),
        strategy,
        strategy_params={"n_samples": 3},
        initial_size=20,
        batch_size=10,
        max_rounds=1,
    )
    assert loop.run()[-1]["n_labeled"] == 30


def test_query_by_committee_from_the_command_line(tmp_path):
    code, out = run(
        [
            "--dataset",
            "synthetic",
            "--learner",
            "committee",
            "--learner-param",
            "n_members=3",
            "--strategy",
            "vote_entropy",
            "--initial-size",
            "20",
            "--batch-size",
            "10",
            "--rounds",
            "2",
            "--no-full-baseline",
        ],
        tmp_path,
    )
    assert code == 0
    history = json.loads((out / "vote_entropy" / "seed_0" / "history.json").read_text())
    assert [r["n_labeled"] for r in history] == [20, 30, 40]


def test_small_fits_run_with_one_blas_thread(blobs):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_info

    from activelearn import ActiveLearningLoop, Pool

    seen = []

    class Recording(LogisticRegression):
        def fit(self, X, y):
            seen.append(max((p["num_threads"] for p in threadpool_info()), default=1))
            return super().fit(X, y)

    X, y, _, _ = blobs
    ActiveLearningLoop(
        Pool(X, hidden_labels=y), Recording(), initial_size=20, max_rounds=1, batch_size=10
    ).run()
    assert seen and set(seen) == {1}
    seen.clear()
    ActiveLearningLoop(
        Pool(X, hidden_labels=y),
        Recording(),
        initial_size=20,
        max_rounds=1,
        batch_size=10,
        threads=None,
    ).run()
    assert seen  # with threads=None the libraries keep their own setting


def test_separate_test_and_validation_files_and_format_flags(tmp_path):
    rows = messages(360, quotes=False)
    main_file = tmp_path / "train.data"
    main_file.write_text("\n".join(f"{t};{lb}" for lb, t in rows[:240]) + "\n", encoding="latin-1")
    test_file = tmp_path / "test.data"
    test_file.write_text("\n".join(f"{t};{lb}" for lb, t in rows[240:300]) + "\n")
    val_file = tmp_path / "val.data"
    val_file.write_text("\n".join(f"{t};{lb}" for lb, t in rows[300:]) + "\n")
    code, out = run(
        [
            "--dataset",
            "csv",
            "--data",
            str(main_file),
            "--test-data",
            str(test_file),
            "--validation-data",
            str(val_file),
            "--format",
            "csv",
            "--sep",
            ";",
            "--no-header",
            "--encoding",
            "latin-1",
            "--text-column",
            "1",
            "--label-column",
            "2",
            "--strategy",
            "margin",
            "--initial-size",
            "20",
            "--batch-size",
            "20",
            "--rounds",
            "1",
        ],
        tmp_path,
    )
    assert code == 0
    run_summary = json.loads((out / "summary.json").read_text())["runs"][0]
    assert run_summary["splits"] == {"pool": 240, "validation": 60, "test": 60, "unlabeled": 0}


def test_people_label_an_unlabeled_file_in_csv_batches(tmp_path, capsys):
    rows = messages(200, quotes=False)
    path = tmp_path / "unlabeled.csv"
    path.write_text("text\n" + "\n".join(t for _, t in rows) + "\n")
    args = [
        "--dataset",
        "csv",
        "--data",
        str(path),
        "--text-column",
        "text",
        "--classes",
        "ham,spam",
        "--oracle",
        "file",
        "--strategy",
        "margin",
        "--initial-size",
        "20",
        "--batch-size",
        "10",
        "--rounds",
        "1",
        "--validation-size",
        "0",
        "--test-size",
        "0",
    ]
    code, out = run(args, tmp_path)
    assert code == EXIT_LABELS_PENDING
    assert "fill in the `label` column" in capsys.readouterr().err
    batch = next((out / "margin" / "seed_0" / "batches").glob("batch_*.csv"))
    truth = {str(i + 1): label for i, (label, _) in enumerate(rows)}
    import csv

    with batch.open() as handle:
        answered = [{**r, "label": truth[r["id"]]} for r in csv.DictReader(handle)]
    with batch.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows(answered)
    code, out = run([*args, "--resume"], tmp_path)
    assert code == EXIT_LABELS_PENDING  # the seed is labeled; the next batch waits
    history = json.loads((out / "margin" / "seed_0" / "history.json").read_text())
    assert history[0]["n_labeled"] == 20


def test_text_without_features_gets_tfidf_and_says_so_and_a_budget_is_reached(tmp_path, capsys):
    path = write_tsv(tmp_path / "m.tsv", messages(400), header=True)
    base = [
        "--dataset",
        "csv",
        "--data",
        str(path),
        "--label-column",
        "label",
        "--text-column",
        "text",
        "--strategy",
        "margin",
        "--initial-size",
        "20",
        "--batch-size",
        "10",
    ]
    code, out = run([*base, "--budget", "150", "--no-full-baseline"], tmp_path)
    assert code == 0
    assert "features: tfidf" in capsys.readouterr().err
    history = json.loads((out / "margin" / "seed_0" / "history.json").read_text())
    assert history[-1]["n_labeled"] == 150  # no hidden default of 10 rounds cut it short
    code, _ = run([*base, "--features", "none", "--rounds", "1"], tmp_path, "o2")
    err = capsys.readouterr().err
    assert code == 2 and "--features tfidf" in err and "Traceback" not in err


def test_run_and_experiment_give_the_same_splits_and_learning_curves(tmp_path):
    settings = [
        "--dataset",
        "synthetic",
        "--strategy",
        "margin",
        "--seeds",
        "0",
        "1",
        "--initial-size",
        "20",
        "--batch-size",
        "10",
        "--budget",
        "60",
    ]
    code, out = run(settings, tmp_path)
    assert code == 0
    config = tmp_path / "same.toml"
    config.write_text("""
[experiment]
name = "same"
[grid]
datasets = ["synthetic"]
learners = ["logistic_regression"]
strategies = ["margin"]
seeds = [0, 1]
budgets = [60]
batch_sizes = [10]
[loop]
initial_size = 20
""")
    assert main(["experiment", str(config), "--output", str(tmp_path / "x"), "--quiet"]) == 0
    cells = [json.loads(p.read_text()) for p in (tmp_path / "x" / "cells").glob("*.json")]
    for seed in (0, 1):
        cell = next(
            c
            for c in cells
            if c["kind"] == "al"
            and c["labels"]["strategy"] == "margin"
            and c["spec"]["seed"] == seed
        )
        history = json.loads((out / "margin" / f"seed_{seed}" / "history.json").read_text())
        assert [r["accuracy"] for r in history] == [r["accuracy"] for r in cell["history"]]
        assert [r["n_labeled"] for r in history] == [r["n_labeled"] for r in cell["history"]]
        run_cell = next(
            json.loads(p.read_text())
            for p in (out / "cells").glob("*.json")
            if json.loads(p.read_text())["key"] == cell["key"]
        )
        assert run_cell["split"]["validation_sha256"] == cell["split"]["validation_sha256"]


def test_the_learning_curve_is_titled_with_the_dataset(tmp_path, monkeypatch):
    import activelearn.plots as plots

    titles = []
    real = plots._save

    def capture(fig, path):
        titles.append(fig.axes[0].get_title())
        return real(fig, path)

    monkeypatch.setattr(plots, "_save", capture)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, _ = run(
            [
                "--dataset",
                "digits",
                "--strategy",
                "margin",
                "--initial-size",
                "30",
                "--batch-size",
                "20",
                "--rounds",
                "1",
            ],
            tmp_path,
        )
    assert code == 0 and titles and titles[0].startswith("digits: logistic_regression")


def test_a_label_free_stopping_criterion_from_the_command_line(tmp_path):
    code, out = run(["--dataset", "digits", "--strategy", "margin", "--initial-size", "100",
                     "--batch-size", "100", "--rounds", "12", "--no-full-baseline",
                     "--stop", "stabilizing_predictions:threshold=0.9,window=1,stop_set=300"],
                    tmp_path)  # fmt: skip
    assert code == 0
    run_summary = json.loads((out / "summary.json").read_text())["runs"][0]
    assert "kappa" in run_summary["stop_reason"]
    assert run_summary["final"]["n_labeled"] < 1300  # it stopped before the 12 rounds


def test_imdb_review_ids_survive_into_the_label_log(tmp_path):
    import tarfile

    reviews = {}
    for split in ("train", "test"):
        for label, rating in (("pos", 9), ("neg", 2)):
            for i in range(30):
                word = "great superb" if label == "pos" else "awful dull"
                reviews[f"aclImdb/{split}/{label}/{i}_{rating}.txt"] = f"{word} film number {i}"
    archive = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        for name, text in reviews.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            import io

            handle.addfile(info, io.BytesIO(data))
    args = ["--dataset", "imdb", "--data", str(archive), "--strategy", "margin"]
    code, out = run([*args, "--initial-size", "10", "--batch-size", "5", "--rounds", "1"], tmp_path)
    assert code == 0
    log = (out / "margin" / "seed_0" / "labels.jsonl").read_text().splitlines()
    queried = [key for line in log for key in json.loads(line).get("query", [])]
    assert len(queried) == 15  # the seed and one batch, named by the archive's own ids
    assert all(key.startswith("train/") and key.endswith(("_9", "_2")) for key in queried)
