"""Make glibc's malloc keep freed memory for reuse (CPU inference speed).

Inference allocates and frees the same large activations for every chunk
of frames. With glibc's defaults, blocks above a dynamic threshold are
``mmap``-ed and returned to the system when freed, and the top of the heap
is trimmed, so every chunk pays page faults to get the memory back; on a
2-core CPU that is about 18% of SeqFormer's inference time
(``docs/benchmarks.md``). PyTorch's CPU performance guide suggests jemalloc
or tcmalloc for the same reason; this needs no extra library.
"""
import ctypes
import ctypes.util

#: mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3


def tune_glibc_malloc(mmap_threshold: int = 32 * 2**20,
                      trim_threshold: int = 2**30,
                      top_pad: int = 256 * 2**20) -> bool:
    """Serve blocks up to ``mmap_threshold`` from the heap and keep up to
    ``trim_threshold`` of freed heap memory for reuse.

    The process's resident memory then stays near its peak instead of
    shrinking between chunks; the peak itself does not grow.

    Returns:
        bool: True if glibc accepted the settings (False elsewhere, e.g. on
        macOS or with musl, where nothing changes).
    """
    name = ctypes.util.find_library('c')
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(
        mallopt(param, value) == 1
        for param, value in ((M_MMAP_THRESHOLD, mmap_threshold),
                             (M_TRIM_THRESHOLD, trim_threshold), (M_TOP_PAD,
                                                                  top_pad)))
