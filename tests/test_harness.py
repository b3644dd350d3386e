"""The harness itself: what it counts as daemon trouble, and that it cleans up."""

import os
import re

from harness.mount import is_mounted, problems


def test_sanitizer_reports_always_fail_even_when_expected():
    text = ("==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n"
            "src/tree.c:10:5: runtime error: signed integer overflow\n")
    assert len(problems(text, [re.compile(".")])) == 2


def test_error_lines_fail_unless_expected():
    text = "bwreportfs: error: GET /accounts/1/reports: 403 1001 Access Denied\nbwreportfs: info: up\n"
    assert problems(text) == [text.splitlines()[0]]
    assert problems(text, [re.compile("1001")]) == []


def test_a_mount_is_gone_after_its_test(sim, mount_factory):
    m = mount_factory(sim)
    assert is_mounted(m.path)
    m.unmount()
    assert not is_mounted(m.path)
    assert m.returncode == 0
    assert os.listdir(m.path) == []
