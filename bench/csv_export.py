"""Child process of the licence-CSV bench (REP-1): streams the licence report's CSV through the real view
(``reports.views.license_report`` with ``?format=csv``) into /dev/null and prints one JSON line: rows, seconds,
peak RSS. A process of its own, so its peak RSS is the export's, not the bench runner's.

    python bench/csv_export.py <user e-mail> <query string>
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import RequestFactory

    from accounts.models import User
    from reports.views import license_report

    settings.DEBUG = False  # no query log
    email, query = sys.argv[1], sys.argv[2]
    request = RequestFactory().get(f"/reports/licenses/?{query}")
    request.user = User.objects.get(email=email)
    setup_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = license_report(request)
    lines = 0
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
            sink.write(chunk)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": lines - 1,  # the header line
                "bytes": size,
                "seconds": elapsed,
                "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rss_after_setup_kb": setup_rss,
            }
        )
    )


if __name__ == "__main__":
    main()
