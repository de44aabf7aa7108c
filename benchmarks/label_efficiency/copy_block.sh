#!/bin/sh
# Copy one experiment's report into benchmarks/label_efficiency/table/ as NAME.md with its
# learning-curve figures:  sh benchmarks/label_efficiency/copy_block.sh RUN_DIR NAME
set -e
here=$(dirname "$0")/table
sed 's#](figures/#](#g' "$1/report/summary.md" | grep -v "_histograms.png" > "$here/$2.md"
for figure in "$1"/report/figures/*_curves.png; do cp "$figure" "$here/"; done
