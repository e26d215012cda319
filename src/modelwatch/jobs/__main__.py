"""``python -m modelwatch.jobs WORK_DIR [--parent-pid PID]``: the job process (see :mod:`.process`)."""

import sys

from modelwatch.jobs.process import main

sys.exit(main())
