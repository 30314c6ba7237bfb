"""``clientfolio`` under ``spark-submit``: the command line, run by the cluster's scheduler.

``spark-submit`` takes a Python file, not a console script: give it this one
(``python -c "import clientfolio.spark_submit as m; print(m.__file__)"``)
followed by the command's arguments, with ``--engine spark``::

    spark-submit --master yarn --deploy-mode client --conf spark.executor.memory=4g \\
        .../clientfolio/spark_submit.py analyze --transactions hdfs:///ventes/ --engine spark --json

The Spark engine then reuses the session ``spark-submit`` prepared: its master
and settings, unless ``--spark-master`` names another (docs/scale.md).
"""

from __future__ import annotations

from clientfolio.cli import main

if __name__ == "__main__":
    main()
