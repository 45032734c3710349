"""python -m cisflow.demo OUTDIR [--seed 7]: write the bundled demo data set."""

from cisflow.demo.generate import main

main()
