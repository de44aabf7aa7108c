import json

import numpy as np
import pytest

from activelearn.cli import build_parser, main

RUN = ["run", "--dataset", "synthetic", "--initial-size", "20", "--batch-size", "10"]


def test_run_writes_histories_summary_report_and_plot(tmp_path, capsys):
    code = main([*RUN, "--strategy", "margin", "random", "--rounds", "3", "--seeds", "0", "1",
                 "--output", str(tmp_path)])  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    assert "no random baseline" not in err
    assert "margin (2 seeds)" in out and "full data" in out and "macro-F1" in out
    assert "sample standard deviation over seeds (n - 1)" in out
    assert (tmp_path / "learning_curve.png").stat().st_size > 1000
    assert (tmp_path / "report" / "report.html").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    history = json.loads((tmp_path / "random" / "seed_1" / "history.json").read_text())
    assert len(history) == 4
    random_row = summary["strategies"]["random"]
    assert random_row["labels_used_mean"] == 50
    finals = [
        json.loads((tmp_path / "random" / f"seed_{s}" / "history.json").read_text())[-1]
        for s in (0, 1)
    ]
    accuracies = [f["accuracy"] for f in finals]
    assert random_row["final_mean"] == pytest.approx(np.mean(accuracies))
    assert random_row["final_std"] == pytest.approx(np.std(accuracies, ddof=1))  # sample SD
    assert {"aulc_mean", "labels_to_95_mean", "final_macro_f1_mean"} <= set(random_row)
    run = next(r for r in summary["runs"] if r["strategy"] == "margin" and r["seed"] == 0)
    assert run["splits"] == {"pool": 1440, "validation": 160, "test": 400, "unlabeled": 0}
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["initial_method"] == "random"


def test_a_run_without_random_says_how_to_compare(tmp_path, capsys):
    code = main([*RUN, "--strategy", "margin", "--rounds", "1", "--output", str(tmp_path)])
    assert code == 0
    err = capsys.readouterr().err
    assert "no random baseline: add random to --strategy" in err
    assert "learning curve will have" not in err


def test_a_budget_that_makes_a_coarse_curve_is_pointed_out(tmp_path, capsys):
    args = ["run", "--dataset", "synthetic", "--strategy", "margin", "random", "--no-full-baseline"]
    assert main([*args, "--budget", "120", "--output", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "the learning curve will have 2 points (a seed of 100, batches of 100 to 120" in err
    assert main([*args, "--budget", "400", "--output", str(tmp_path / "b")]) == 0
    assert "learning curve will have" not in capsys.readouterr().err


def test_a_seed_that_takes_most_of_the_pool_is_pointed_out(tmp_path, capsys):
    args = ["run", "--dataset", "synthetic", "--strategy", "random", "--no-full-baseline",
            "--batch-size", "100", "--rounds", "1"]  # fmt: skip
    assert main([*args, "--initial-size", "1000", "--output", str(tmp_path / "a")]) == 0
    assert "the seed of 1000 labels takes 69% of the pool of 1440 items" in capsys.readouterr().err
    assert main([*args, "--initial-size", "700", "--output", str(tmp_path / "b")]) == 0
    assert "of the pool" not in capsys.readouterr().err


def test_resume_of_a_folder_without_a_run_says_it_starts_one(tmp_path, capsys):
    args = [*RUN, "--strategy", "random", "--rounds", "1", "--no-full-baseline", "--resume"]
    assert main([*args, "--output", str(tmp_path / "new")]) == 0
    assert "nothing to resume in" in capsys.readouterr().err
    assert main([*args, "--output", str(tmp_path / "new")]) == 0  # a real resume: no word
    assert "nothing to resume" not in capsys.readouterr().err


def test_resume_extends_a_run_without_repeating_labels(tmp_path):
    args = [*RUN, "--strategy", "entropy", "--output", str(tmp_path), "--no-full-baseline"]
    assert main([*args, "--rounds", "2"]) == 0
    assert main([*args, "--rounds", "4"]) == 2  # the directory holds a run: needs --resume
    assert main([*args, "--rounds", "4", "--resume"]) == 0
    run_dir = tmp_path / "entropy" / "seed_0"
    entries = [json.loads(line) for line in (run_dir / "labels.jsonl").read_text().splitlines()]
    labeled = [key for e in entries if "labels" in e for key in e["labels"]]
    assert len(labeled) == len(set(labeled)) == 60
    assert len(json.loads((run_dir / "history.json").read_text())) == 5


def test_unknown_config_key_names_the_key(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('dataset = "synthetic"\nbatchsize = 10\n')
    assert main(["run", "--config", str(config)]) == 2
    assert "unknown key(s) batchsize" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--semi-supervised", "nope"], "--semi-supervised: unknown semi-supervision method "
                                        "'nope'; available: label_spreading, self_training, "
                                        "self_training_whole_pool"),  # fmt: skip
        (["--batch-size", "0"], "--batch-size (batch_size) must be a positive integer"),
        (
            ["--strategy", "mix", "--strategy-param", "fractoin=0.5"],
            "strategy 'mix' has no parameter 'fractoin'; accepted: base, fraction, base_params",
        ),
        (["--dataset", "digits", "--text-column", "x"], "--text-column describe a table file"),
        (["--dataset", "csv"], "needs path (--data)"),
        (["--stop", "bogus"], "--stop: unknown stopping criterion 'bogus'"),
        (["--learner-param", "C=abc"], "--learner-param: The 'C' parameter of LogisticRegression"),
        (  # the synthetic features are standard normal: naive Bayes cannot read them
            ["--semi-supervised", "self_training:teacher=naive_bayes"],
            "--semi-supervised self_training: teacher naive_bayes needs non-negative numeric",
        ),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, capsys, flags, message):
    assert main([*RUN, "--output", str(tmp_path), "--no-full-baseline", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: activelearn" in capsys.readouterr().out


def test_run_on_your_own_csv_of_texts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = {"pos": ["great", "lovely", "superb"], "neg": ["awful", "dull", "poor"]}
    rows = ["review,sentiment"]
    for i in range(300):
        label = "pos" if i % 2 else "neg"
        picked = (
            rng.choice(words[label], 2).tolist() + rng.choice(["film", "plot", "cast"], 3).tolist()
        )
        rows.append(f"{' '.join(picked)} number{i},{label}")
    data = tmp_path / "reviews.csv"
    data.write_text("\n".join(rows) + "\n")
    code = main(["run", "--dataset", "csv", "--data", str(data), "--text-column", "review",
                 "--label-column", "sentiment", "--features", "tfidf", "--strategy", "margin",
                 "--initial-size", "10", "--batch-size", "10", "--rounds", "2",
                 "--output", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    history = json.loads((tmp_path / "out" / "margin" / "seed_0" / "history.json").read_text())
    assert [r["n_labeled"] for r in history] == [10, 20, 30]
    assert history[-1]["accuracy"] > 0.9
    assert "full data" in capsys.readouterr().out


def test_an_absolute_target_needs_no_full_data_model(tmp_path, capsys):
    args = [*RUN, "--strategy", "margin", "--target", "0.8", "--no-full-baseline"]
    assert main([*args, "--output", str(tmp_path)]) == 0
    assert "reached" in capsys.readouterr().out
    history = json.loads((tmp_path / "margin" / "seed_0" / "history.json").read_text())
    assert history[-1]["val_accuracy"] >= 0.8 > max(h["val_accuracy"] for h in history[:-1])


def test_a_target_no_metric_can_reach_is_refused(tmp_path, capsys):
    assert main([*RUN, "--target", "1.5", "--output", str(tmp_path)]) == 2
    assert "--target: accuracy 1.5 can never be reached" in capsys.readouterr().err


def test_the_console_shows_what_changes_the_reading_first(tmp_path, capsys):
    """A semi-supervision note (was it ever trained on?) comes before test-noise warnings,
    which fill the shown ones on a small test set; one seed reads "1 seed"."""
    args = [*RUN, "--strategy", "margin", "random", "--rounds", "2", "--test-size", "100",
            "--semi-supervised", "self_training", "--output", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("margin (1 seed) ") for line in lines)
    warnings = [line for line in lines if line.startswith("warning: ")]
    semi = [i for i, w in enumerate(warnings) if "trained on pseudo-labels in" in w]
    noise = [i for i, w in enumerate(warnings) if "within test-set noise" in w]
    assert semi and noise and max(semi) < min(noise)


def test_a_naive_bayes_teacher_runs_from_the_command_line_on_counts(tmp_path, capsys):
    args = ["run", "--dataset", "digits", "--features", "none", "--strategy", "margin", "random",
            "--initial-size", "50", "--batch-size", "50", "--rounds", "2", "--no-full-baseline",
            "--semi-supervised", "self_training_whole_pool:teacher=naive_bayes",
            "--output", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    (path,) = tmp_path.glob("margin+*/seed_0/history.json")
    history = json.loads(path.read_text())
    assert all(r["n_pseudo"] > 0 for r in history)
    assert "trained on pseudo-labels in" in capsys.readouterr().out
