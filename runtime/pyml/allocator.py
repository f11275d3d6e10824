"""Keeps freed memory for reuse instead of handing it back to the kernel after every request.

glibc serves a large buffer (above 128 KiB, or its adaptive threshold) with its own mmap and
unmaps it on free, and trims the heap's top whenever more than 128 KiB is free there. Every
request then touches fresh pages: each costs a page fault, and on virtual machines that return
free pages to their host (Firecracker, balloon / free page reporting) a fault costs so much that
copying into fresh memory runs at ~250 MB/s instead of several GB/s (measured on the CI machines).
A server that receives, decodes and answers megabytes per request allocates buffers of the same
sizes over and over: kept in the heap, they are reused warm. Memory stays bounded by the largest
working set (the heap keeps what the busiest moment needed), not by the number of requests.
"""

import ctypes
import ctypes.util
import logging
from typing import Optional

log = logging.getLogger("pyml")

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): buffers up to it come from the heap.
MMAP_THRESHOLD = 32 * 1024 * 1024
# Free memory at the heap's top is returned to the kernel only above this.
TRIM_THRESHOLD = 512 * 1024 * 1024

_done: Optional[bool] = None


def keep_freed_memory() -> bool:
    """Tunes glibc's malloc once per process; False (and nothing changed) where it is not glibc."""
    global _done
    if _done is not None:
        return _done
    _done = False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl (Alpine) and other C libraries: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    log.debug("malloc keeps freed memory: %s", _done)
    return _done
