"""The e2e set-up's own logic, without a browser: where Chromium is looked for, skip or fail."""

from __future__ import annotations

import stat

import pytest

from . import conftest as e2e


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    """A machine without Chromium: nothing on $PATH, no candidate path, no override."""
    monkeypatch.delenv("COLLAB_E2E_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(e2e, "CANDIDATES", (str(tmp_path / "no" / "chromium"), "chromium"))
    return tmp_path


def test_no_chromium_anywhere_is_none(no_browser):
    assert e2e.find_chromium() is None


def test_chromium_on_path_is_found(no_browser):
    exe = no_browser / "chromium"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    assert e2e.find_chromium() == str(exe)


def test_override_wins_and_must_exist(no_browser, monkeypatch):
    exe = no_browser / "my-chrome"
    exe.write_text("")
    monkeypatch.setenv("COLLAB_E2E_CHROMIUM", str(exe))
    assert e2e.find_chromium() == str(exe)
    monkeypatch.setenv("COLLAB_E2E_CHROMIUM", str(no_browser / "missing"))
    assert e2e.find_chromium() is None  # a wrong override is not silently replaced


def test_missing_browser_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        e2e._unavailable("no Chromium found")


@pytest.mark.parametrize("value", ["true", "True"])
def test_missing_browser_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="cannot run under CI: no Chromium"):
        e2e._unavailable("no Chromium found")


def test_ci_other_than_true_still_skips(monkeypatch):
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        e2e._unavailable("no Chromium found")


def test_require_chromium_skips_or_fails_with_the_fix(no_browser, monkeypatch):
    """What the `chromium_path` fixture does on a machine without a browser."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="COLLAB_E2E_CHROMIUM"):
        e2e.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="COLLAB_E2E_CHROMIUM"):
        e2e.require_chromium()


def test_require_chromium_returns_the_browser(no_browser, monkeypatch):
    exe = no_browser / "chromium"
    exe.write_text("")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CI", "true")
    assert e2e.require_chromium() == str(exe)
