import platform

from mmseqformer.utils import tune_glibc_malloc


def test_malloc_tuning_is_accepted_by_glibc_and_skipped_elsewhere():
    assert tune_glibc_malloc() is (platform.libc_ver()[0] == 'glibc')
