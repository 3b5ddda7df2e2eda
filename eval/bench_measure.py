"""Run a command; print its wall seconds, CPU seconds and peak RSS as JSON. Standard library only.

A new process's peak RSS counts the memory of the process it was forked from (Linux keeps the
high-water mark across exec), so the benchmark, which holds two models, starts each cold run
through this small process instead of directly.
"""

import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_kb": usage.ru_maxrss,
                  "code": code}))
