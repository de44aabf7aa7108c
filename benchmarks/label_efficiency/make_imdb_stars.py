"""A 4-class text task from the IMDB archive: reviews bucketed by their star rating.

    .venv/bin/python benchmarks/label_efficiency/make_imdb_stars.py ARCHIVE OUT.tsv [--n 6000]

1-2 stars "awful", 3-4 "bad", 7-8 "good", 9-10 "great" (the rating is in each review's
id); a random sample of ``n`` reviews from train and test, written as a TSV with a header.
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from activelearn.data.imdb import load_imdb

BUCKETS = {1: "awful", 2: "awful", 3: "bad", 4: "bad", 7: "good", 8: "good", 9: "great",
           10: "great"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive")
    parser.add_argument("out")
    parser.add_argument("--n", type=int, default=6000)
    args = parser.parse_args()
    rows = []
    for data in load_imdb(args.archive, download=False):
        for review_id, text in zip(data.ids.tolist(), data.X, strict=True):
            rating = int(re.search(r"_(\d+)$", review_id).group(1))
            rows.append((BUCKETS[rating], " ".join(text.split())))
    keep = np.random.default_rng(0).choice(len(rows), args.n, replace=False)
    with open(args.out, "w") as handle:
        handle.write("label\ttext\n")
        handle.writelines(f"{rows[i][0]}\t{rows[i][1]}\n" for i in keep)


if __name__ == "__main__":
    main()
