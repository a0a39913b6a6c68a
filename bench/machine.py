"""What machine a benchmark ran on, recorded next to its numbers."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from pathlib import Path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(**extra: object) -> dict:
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}",
            "load_average_at_start": round(os.getloadavg()[0], 1),
            "date": datetime.now().strftime("%Y-%m-%d %H:%M"), **extra}
