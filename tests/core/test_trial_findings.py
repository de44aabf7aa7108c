"""What a new user's trial of `run` found, each as the command line meets it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activelearn.cli import EXIT_LABELS_PENDING, main
from activelearn.data.tabular import load_table


def texts(n=300, minority=0.12, seed=0):
    rng = np.random.default_rng(seed)
    words = {"ok": ["fine", "good", "nice", "fun"], "awful": ["awful", "bad", "dull", "poor"]}
    rows = []
    for i in range(n):
        label = "awful" if rng.random() < minority else "ok"
        rows.append((label, " ".join([*rng.choice(words[label], 3), f"w{i % 17}", f"r{i}"])))
    return rows


def write(path, rows, sep=",", header="label,text"):
    path.write_text("\n".join([header, *(f"{a}{sep}{b}" for a, b in rows)]) + "\n")
    return path


def run(args, out):
    return main(["run", *args, "--output", str(out)])


BASE = ["--label-column", "label", "--text-column", "text", "--initial-size", "20",
        "--batch-size", "20"]  # fmt: skip


def test_json_lines_are_split_at_newlines_only(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [{"text": f"review {i}\x85with a next-line character", "label": i % 2}
            for i in range(40)]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    data = load_table(path, text_column="text", label_column="label")
    assert len(data) == 40 and data.report.read == 40 and not data.report.skipped


def test_rows_skipped_down_to_one_class_are_reported_with_the_error(tmp_path, capsys):
    path = tmp_path / "d.csv"
    body = "label,text\n" + "".join(f"a,text {i}\n" for i in range(10))
    path.write_bytes(
        body.encode() + "".join(f"b\xe9,text {i}\n" for i in range(10)).encode("latin-1")
    )
    assert run(["--dataset", "csv", "--data", str(path), *BASE], tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "only the class ['a']" in err and "--encoding" in err and "10 skipped" in err


def test_a_resume_may_only_extend_the_run(tmp_path, capsys):
    args = ["--dataset", "synthetic", "--strategy", "margin", "--initial-size", "20",
            "--batch-size", "10", "--no-full-baseline"]  # fmt: skip
    assert run([*args, "--budget", "60"], tmp_path / "o") == 0
    summary = (tmp_path / "o" / "summary.txt").read_text()
    assert run([*args, "--budget", "60", "--batch-size", "20", "--resume"], tmp_path / "o") == 2
    assert "--batch-size was 10, now 20" in capsys.readouterr().err
    assert run([*args, "--budget", "40", "--resume"], tmp_path / "o") == 2
    assert "can only extend a run: --budget 40 is below the 60" in capsys.readouterr().err
    assert (tmp_path / "o" / "summary.txt").read_text() == summary  # nothing was overwritten
    assert run([*args, "--budget", "80", "--resume"], tmp_path / "o") == 0


def test_a_run_that_never_started_does_not_block_the_corrected_one(tmp_path):
    path = write(tmp_path / "d.csv", texts())
    assert run(["--dataset", "csv", "--data", str(path), *BASE[:2], "--text-column", "nope"],
               tmp_path / "o") == 2  # fmt: skip
    assert run(["--dataset", "csv", "--data", str(path), *BASE, "--rounds", "1"],
               tmp_path / "o") == 0  # fmt: skip


def test_duplicate_seeds_are_refused(tmp_path, capsys):
    assert run(["--dataset", "digits", "--seeds", "0", "0"], tmp_path / "o") == 2
    assert "--seeds: [0] appear more than once" in capsys.readouterr().err


def test_a_declared_class_without_items_is_noted_and_does_not_dilute_macro_f1(tmp_path):
    from activelearn.metrics import classification_metrics

    path = write(tmp_path / "d.csv", texts())
    data = load_table(
        path, text_column="text", label_column="label", classes=["awful", "ok", "meh"]
    )
    assert "['meh'] have no labeled row" in data.report.notes[0]
    y = np.array(["ok", "awful", "ok"])
    p = np.array([[0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])  # columns awful, meh, ok
    assert classification_metrics(y, p, np.array(["awful", "meh", "ok"]))["macro_f1"] == 1.0


def test_no_test_set_gives_no_crash_no_fake_numbers_and_no_empty_plot(tmp_path, capsys):
    path = write(tmp_path / "d.csv", texts())
    code = run(["--dataset", "csv", "--data", str(path), *BASE, "--rounds", "1",
                "--test-size", "0"], tmp_path / "o")  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "no test set, so no test metrics" in out
    assert not (tmp_path / "o" / "learning_curve.png").exists()


def test_a_full_data_model_no_better_than_a_constant_is_flagged(tmp_path):
    from activelearn.experiments.analysis import _baseline_warnings, beats_constant

    full = {"kind": "full", "spec": {"seed": 0}, "labels": {"dataset": "d", "learner": "mlp"},
            "test": {"macro_f1": 0.47, "accuracy": 0.9},
            "constant": {"macro_f1": 0.47, "accuracy": 0.9}}  # fmt: skip
    assert not beats_constant(full, "macro_f1")
    assert "no better than always predicting the majority class" in _baseline_warnings([full])[0]


def test_people_get_one_run_and_a_clear_word_on_what_there_is_to_label(tmp_path, capsys):
    rows = texts(200)
    unlabeled = tmp_path / "u.csv"
    unlabeled.write_text("text\n" + "\n".join(t for _, t in rows) + "\n")
    args = ["--dataset", "csv", "--data", str(unlabeled), "--text-column", "text", "--classes",
            "awful,ok", "--oracle", "file", "--initial-size", "10", "--validation-size", "0",
            "--test-size", "0", "--budget", "30"]  # fmt: skip
    assert run(args, tmp_path / "o") == EXIT_LABELS_PENDING
    assert [p.name for p in (tmp_path / "o").iterdir() if p.is_dir() and p.name != "cells"] == [
        "auto"
    ]  # one run's batches by the default strategy, not auto and random both
    batch = next((tmp_path / "o" / "auto" / "seed_0" / "batches").glob("*.csv"))
    lines = batch.read_text().splitlines()
    batch.write_text("\n".join([lines[0], *(f"{line}Awfull" for line in lines[1:])]) + "\n")
    assert run([*args, "--resume"], tmp_path / "o") == 1  # that run failed, and says where
    said = "".join(capsys.readouterr())
    assert "labels ['Awfull'] are not among the classes" in said
    assert f"(in {batch}; fix it and --resume)" in said
    labeled = write(tmp_path / "l.csv", rows)
    assert run(["--dataset", "csv", "--data", str(labeled), *BASE, "--oracle", "file"],
               tmp_path / "o2") == 2  # fmt: skip
    assert "nothing for people to label" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--strategy", "coreset"], "--strategy coreset needs embeddings"),
        (
            ["--semi-supervised", "label_spreading"],
            "--semi-supervised label_spreading needs embeddings: the tfidf features are not dense",
        ),
        (  # the grid's second method is checked too, not only its first
            ["--semi-supervised", "none", "label_spreading"],
            "--semi-supervised label_spreading needs embeddings",
        ),
        (
            ["--semi-supervised", "self_training", "--validation-size", "0"],
            "--semi-supervised self_training reads the model's predictions on the validation set",
        ),
        (
            ["--strategy", "ratio", "--validation-size", "0"],
            "--strategy ratio reads the model's predictions on the validation set",
        ),
        (["--initial-size", "0"], "--initial-size 0 starts from labels given with the data"),
        (["--initial-size", "100000"], "--initial-size 100000 labels the whole pool of"),
        (["--initial-method", "balanced", "--oracle", "file"], "--initial-method: 'balanced'"),
    ],
)
def test_mismatches_are_found_before_any_run_in_the_flags_words(tmp_path, capsys, flags, message):
    path = write(tmp_path / "d.csv", texts())
    args = ["--dataset", "csv", "--data", str(path), "--label-column", "label", "--text-column",
            "text", "--batch-size", "20", "--rounds", "1", *flags]  # fmt: skip
    assert run(args, tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o" / "settings.json").exists()


def test_no_stray_quote_in_a_parameter_message(tmp_path, capsys):
    assert run(["--dataset", "digits", "--data", "x"], tmp_path / "o") == 2
    assert "has no parameter path (--data);" in capsys.readouterr().err


def test_data_names_a_table_file_without_dataset_csv(tmp_path):
    path = write(tmp_path / "d.csv", texts())
    flags = ["--data", str(path), "--text-column", "text", "--label-column", "label",
             "--initial-size", "20", "--batch-size", "20", "--rounds", "1"]  # fmt: skip
    assert main(["run", *flags, "--output", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "settings.json").read_text())["dataset"] == "csv"
    config = tmp_path / "run.toml"  # a TOML file's `data` too
    config.write_text(f'data = "{path}"\ntext_column = "text"\nlabel_column = "label"\n'
                      "initial_size = 20\nbatch_size = 20\nrounds = 1\n")  # fmt: skip
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "o2")]) == 0
    assert main(["run", "--dataset", "digits", *flags[:2], "--output", str(tmp_path / "o3")]) == 2


def test_a_run_config_may_name_table_keys_as_the_flags_do(tmp_path):
    path = write(tmp_path / "d.tsv", texts(), sep="\t", header="label\ttext")
    config = tmp_path / "run.toml"
    keys = f'dataset = "csv"\ndata = "{path}"\ntext_column = "text"\nlabel_column = "label"\n'
    config.write_text(keys + "initial_size = 20\nbatch_size = 20\nrounds = 1\n")
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "o")]) == 0
    # the list flags by their flags' names too: --strategy, --seed
    small = "initial_size = 20\nbatch_size = 20\nrounds = 1\n"
    config.write_text(keys + small + 'strategy = "margin"\n')
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "o2")]) == 0
    assert json.loads((tmp_path / "o2" / "settings.json").read_text())["strategies"] == ["margin"]
    config.write_text(keys + 'rounds = 1\nstrategy = "margin"\nstrategies = ["random"]\n')
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "o3")]) == 2


def test_peeking_seeds_and_test_set_targets_are_warned_on_the_console(tmp_path, capsys):
    code = run(["--dataset", "digits", "--strategy", "margin", "--initial-size", "30",
                "--initial-method", "balanced", "--batch-size", "20", "--target", "0.5",
                "--target-split", "test", "--metric", "macro_f1"], tmp_path / "o")  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "warning: the seed was drawn from the hidden labels" in out
    assert "warning: runs stopped as soon as the TEST macro_f1 reached the target" in out
    assert "stopped: macro_f1 reached" in out


def test_label_free_stopping_never_stops_before_the_first_query(blobs):
    from sklearn.linear_model import LogisticRegression

    from activelearn import ActiveLearningLoop, OnStopSet, OverallUncertainty, Pool

    X, y, _, _ = blobs
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), initial_size=30, batch_size=10,
        max_rounds=3, stopping=[OnStopSet(OverallUncertainty(threshold=0.99))],
    )  # fmt: skip
    assert len(loop.run()) == 2  # round 0 and one query, then it stops
