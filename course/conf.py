"""Sphinx configuration of the tracegrad course site (one language per build).

``tracegrad course`` stages the notebooks of one language with a front page
(``index.md``) and runs, per language::

    python -m sphinx -b html -c course STAGED OUT/en -D language=en
    python -m sphinx -b html -c course STAGED OUT/zh -D language=zh_CN -D tracegrad_lang=zh

Every notebook is executed (myst-nb) and its outputs embedded. What makes the
site offline and bilingual lives in the ``nn.app.course`` extension: formulas
become MathML at build time (latex2mathml, no script), a stepper shows its
static ``text/html`` front end instead of the widget, a slider is marked as
needing Jupyter with a link to its notebook, and each page links to the same
lesson in the other language.
"""

project = "tracegrad"
author = "tracegrad"
copyright = "tracegrad"
language = "en"
root_doc = "index"

extensions = ["myst_nb", "nn.app.course"]

# The staged folder holds the MyST notebooks (.md) and their helper modules; the
# paired .ipynb files are not staged, so each lesson is read once, from its text.
source_suffix = {".md": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "zh", "_notebooks"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# Execute every notebook at build time, in its own folder (the helpers import from there).
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# The stepper's text/html front end steps with no kernel: prefer it to the widget. A widget
# with no text/html (a slider) still wins over its text/plain repr ("VBox(children=...)"),
# and the course extension replaces it by a note that it needs Jupyter.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", 35)]
# No ipywidgets manager from a CDN: nothing on the site is fetched from the network.
nb_ipywidgets_js = {}

# Formulas as native MathML, converted at build time (no MathJax, no script, no network).
html_math_renderer = "mathml"

html_theme = "sphinx_book_theme"
html_title = "tracegrad"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_copyright = False
html_show_sphinx = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
    # pydata-sphinx-theme's defaults that would reach the network or show nothing useful offline
    "icon_links": [],
    "navbar_align": "left",
    "footer_content_items": [],
}
# A page opened from file:// has no stored colour mode yet: start light (and print light).
html_context = {"default_mode": "light"}
html_sidebars = {"**": ["navbar-logo.html", "sbt-sidebar-nav.html"]}
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
