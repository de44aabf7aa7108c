"""What a new user's trial on numeric tables found (wine with string ids and blank labels,
breast cancer with `;` and decimal commas), each as the command line meets it."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine

from activelearn.cli import EXIT_LABELS_PENDING, main
from activelearn.data.tabular import load_table
from activelearn.errors import DataError


@pytest.fixture
def wine(tmp_path):
    """Wine with string ids, a header, and a fifth of the labels blank (for people)."""
    frame = load_wine(as_frame=True).frame
    names = list(frame.columns[:-1])
    truth, rows = {}, []
    for i, row in frame.iterrows():
        key = f"w{i:04d}"
        truth[key] = f"class_{int(row['target'])}"
        values = [repr(float(row[c])) for c in names]
        rows.append([key, *values, "" if i % 5 == 0 else truth[key]])
    path = tmp_path / "wine.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *names, "label"])
        writer.writerows(rows)
    return path, names, truth, {r[0]: r[1:-1] for r in rows}


def test_a_tables_batch_shows_its_columns_and_a_run_resumes_from_its_folder(
    wine, tmp_path, capsys
):
    path, names, truth, values = wine
    out = tmp_path / "o"
    args = ["run", "--data", str(path), "--id-column", "id", "--label-column", "label",
            "--oracle", "file", "--budget", "160", "--initial-size", "10", "--batch-size", "5",
            "--workers", "1", "--output", str(out)]  # fmt: skip
    assert main(args) == EXIT_LABELS_PENDING
    seed = int(re.search(r"10 of (\d+) items of round 0", capsys.readouterr().err).group(1))
    batch = next((out / "auto" / "seed_0" / "batches").glob("*.csv"))  # auto, as the help says
    with batch.open() as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == ["id", *names, "label"]  # the file's columns, not one array cell
    for row in rows:  # the values as the file wrote them
        assert [float(row[c]) for c in names] == pytest.approx(
            [float(v) for v in values[row["id"]]], rel=1e-6
        )
    with batch.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows({**row, "label": truth[row["id"]]} for row in rows)
    # `--output DIR --resume` alone continues with the run's own settings
    assert main(["run", "--output", str(out), "--resume"]) == EXIT_LABELS_PENDING
    history = json.loads((out / "auto" / "seed_0" / "history.json").read_text())
    assert history[0]["n_labeled"] == seed > 10  # the file's labels and the 10 people gave
    nxt = [p for p in (out / "auto" / "seed_0" / "batches").glob("*.csv") if p != batch]
    assert len(nxt) == 1 and len(nxt[0].read_text().splitlines()) == 1 + 5  # --batch-size 5
    assert main(["run", "--output", str(out), "--resume", "--strategy", "margin"]) == 2
    assert "--strategies was ['auto'], now ['margin']" in capsys.readouterr().err


def test_a_resume_of_a_folder_with_no_run_is_refused(tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path / "typo"), "--resume"]) == 2
    assert "holds no run to resume" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_a_feature_column_named_id_is_noted_and_kept_apart_in_batches(tmp_path):
    path = tmp_path / "t.csv"
    rows = [f"{1000 + i},{i % 7}.5,{'' if i % 3 == 0 else 'ab'[i % 2]}" for i in range(60)]
    path.write_text("id,x,label\n" + "\n".join(rows) + "\n")
    data = load_table(path, label_column="label")
    assert "column 'id' is used as a feature: if it holds ids, name it (--id-column id)" in (
        data.report.summary()
    )
    from activelearn.oracles import FileOracle

    oracle = FileOracle(tmp_path / "b")
    some = np.arange(3)
    oracle.label(data.ids[some], [data.raw[i] for i in some])
    batch = next((tmp_path / "b").glob("*.csv"))
    header, first = batch.read_text().splitlines()[:2]
    assert header == "id,id (column),x,label"
    assert first.split(",")[:2] == [str(data.ids[0]), "1000.0"]  # the row id, then the feature


def test_a_budget_that_the_files_labels_and_the_seed_just_fill_is_allowed(wine, tmp_path, capsys):
    args = ["run", "--data", str(wine[0]), "--id-column", "id", "--label-column", "label",
            "--oracle", "file", "--initial-size", "10", "--batch-size", "5"]  # fmt: skip
    assert main([*args, "--budget", "25", "--output", str(tmp_path / "a")]) == 2
    need = int(re.search(r"--budget of (\d+) labels or more", capsys.readouterr().err).group(1))
    assert main([*args, "--budget", str(need - 1), "--output", str(tmp_path / "b")]) == 2
    assert main([*args, "--budget", str(need), "--output", str(tmp_path / "c")]) == (
        EXIT_LABELS_PENDING  # people label the seed
    )


def test_a_budget_the_files_own_labels_already_spend_is_refused(wine, tmp_path, capsys):
    path = wine[0]
    args = ["run", "--data", str(path), "--id-column", "id", "--label-column", "label",
            "--oracle", "file", "--budget", "25", "--initial-size", "10",
            "--output", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the budget buys 25 labels, counting every label" in err and "from the file" in err
    assert not (tmp_path / "o" / "settings.json").exists()  # refused before it started


def _semicolons(path, decimal):
    data = load_breast_cancer()
    names = np.asarray(data.target_names)[data.target]
    with path.open("w") as handle:
        for row, label in zip(data.data, names, strict=True):
            cells = [repr(float(v)).replace(".", decimal) for v in row]
            handle.write(";".join([*cells, label]) + "\n")
    return path


def test_decimal_commas_are_named_and_read_with_decimal(tmp_path, capsys):
    commas = _semicolons(tmp_path / "bc.csv", ",")
    args = ["run", "--data", str(commas), "--sep", ";", "--no-header", "--label-column", "31",
            "--budget", "60", "--initial-size", "20", "--batch-size", "20",
            "--workers", "1"]  # fmt: skip
    assert main([*args, "--output", str(tmp_path / "a")]) == 2
    assert "holds numbers with a decimal comma (such as 12,5): add --decimal ," in (
        capsys.readouterr().err
    )
    assert main([*args, "--decimal", ",", "--output", str(tmp_path / "b")]) == 0
    assert "FP/FN: the positive class is 'malignant'" in capsys.readouterr().out  # named
    dots = _semicolons(tmp_path / "bc_dot.csv", ".")
    read = load_table(commas, sep=";", header=False, label_column="31", decimal=",")
    assert np.array_equal(read.X, load_table(dots, sep=";", header=False, label_column="31").X)


def test_a_wrong_column_says_which_flags_could_name_it(tmp_path):
    dots = _semicolons(tmp_path / "bc.csv", ".")
    with pytest.raises(DataError, match=r"'31' holds text.*--label-column 31; ids: --id-column 31"):
        load_table(dots, sep=";", header=False)


def test_a_numeric_label_column_gets_one_short_error(tmp_path, capsys):
    dots = _semicolons(tmp_path / "bc.csv", ".")
    args = ["run", "--data", str(dots), "--sep", ";", "--no-header", "--label-column", "30",
            "--feature-columns", "1,2,3", "--budget", "160",
            "--output", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "distinct values for 569 items" in err and "check the label column" in err
    assert len(err) < 400  # not every value listed


def test_a_project_from_a_numeric_table_says_projects_label_texts_or_images(
    wine, tmp_path, capsys
):
    args = ["project", "create", str(tmp_path / "p"), "--name", "w", "--data", str(wine[0]),
            "--classes", "class_0,class_1,class_2"]  # fmt: skip
    assert main(args) == 2
    assert "a project labels texts or images, so name the table's text column" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "p").exists()


def test_few_text_labels_are_not_taken_for_a_numeric_column():
    from activelearn.data.splits import stratified_split

    with pytest.raises(DataError, match=r"classes 'a' \(1 items\)") as caught:
        stratified_split(np.array(["a", "b", "c", "c"]), [1], np.random.default_rng(0))
    assert "numeric feature" not in str(caught.value)


def test_a_class_the_models_all_but_never_get_right_is_warned_first():
    from activelearn.experiments.analysis import _warnings

    row = {"id": "skewed | random", "final_mean": 0.80, "vs_random": None,
           "final_class_f1_mean": {"negative": 0.89, "positive": 0.04}}  # fmt: skip
    fine = {**row, "id": "skewed | auto", "final_class_f1_mean": {"negative": 0.9, "positive": 0.6}}
    warned = _warnings([row, fine], [])
    assert warned == [
        "skewed | random: the final models get almost no test item of class 'positive' "
        "(F1 0.04) right; on skewed classes --metric macro_f1 measures this"
    ]


def test_project_create_says_how_many_labels_it_imported(tmp_path, capsys):
    path = tmp_path / "r.csv"
    rows = [f"review {i},{'' if i % 4 else ('pos' if i % 8 else 'neg')}" for i in range(40)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    args = ["project", "create", str(tmp_path / "p"), "--name", "r", "--data", str(path),
            "--label-column", "label", "--classes", "neg,pos"]  # fmt: skip
    assert main(args) == 0
    assert "created project 'r' with 40 items, 10 of them labeled (imported)" in (
        capsys.readouterr().out
    )
