"""The page registry: every page file exists, and no `pages/` folder turns on Streamlit's v1 mode."""

from apptest_helpers import ROOT

from ui import nav


def test_every_page_file_exists_and_titles_are_unique():
    for file, _title, icon, section in nav.PAGES.values():
        assert (nav.ROOT / "app_pages" / file).is_file(), file
        assert icon.startswith(":material/") and section
    assert len({t for _, t, _, _ in nav.PAGES.values()}) == len(nav.PAGES)


def test_no_pages_folder_beside_app_py():
    # With a pages/ folder, a fresh server's first visit to e.g. /train runs that file alone
    # (Streamlit's v1 multipage mode): no navigation, no sidebar.
    assert (ROOT / "app.py").is_file()
    assert not (ROOT / "pages").exists()
