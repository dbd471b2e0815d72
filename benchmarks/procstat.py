"""CPU time and memory of server processes (and their children) read straight from /proc (Linux only)."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Dict, List

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> List[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # the command name is in parentheses and may contain spaces: split after the last ')'
    return text[text.rindex(")") + 2:].split()


def descendants(root: int) -> List[int]:
    """``root`` and every live process below it."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and its live descendants, plus children they have reaped."""
    total = 0
    for pid in descendants(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / TICKS


def memory_mb(root: int) -> Dict[str, float]:
    """Current RSS and peak RSS (VmHWM) summed over ``root`` and its descendants, in MB."""
    rss = hwm = 0
    for pid in descendants(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm += int(line.split()[1])
    return {"rss_mb": round(rss / 1024, 1), "peak_rss_mb": round(hwm / 1024, 1)}


def system_busy() -> List[int]:
    """(busy, total) jiffies of the whole machine from /proc/stat, for 'how busy was the machine'."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return [sum(values) - idle, sum(values)]


def busy_cores(before: List[int], after: List[int]) -> float:
    """Cores busy on average between two ``system_busy`` readings (whole machine, every process)."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total * (os.cpu_count() or 1), 2) if total else 0.0


def machine() -> Dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import rasa
        rasa_version = rasa.__version__
    except Exception:  # pragma: no cover - rasa is a dependency
        rasa_version = "unknown"
    try:
        import rasa_sdk
        sdk_version = rasa_sdk.__version__
    except Exception:  # pragma: no cover
        sdk_version = "unknown"
    return {"cpu_model": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb,
            "python": platform.python_version(), "rasa": rasa_version, "rasa_sdk": sdk_version,
            "os": f"{platform.system()} {platform.release()}", "executable": sys.executable}


def loadavg() -> List[float]:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []
