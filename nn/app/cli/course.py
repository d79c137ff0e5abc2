"""``tracegrad course [--out DIR] [--lang en|zh|both] [--only NN ...] [--pdf]``: the notebooks as an
offline, bilingual course site (Sphinx + myst-nb, every notebook executed)."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_OK, CommandError, Formatter, UsageError, _, ngettext, wrap
from .outputs import check_outputs, output_directory, write_outputs

if TYPE_CHECKING:
    from .common import Subcommands

SITE_LANGUAGES = ("en", "zh", "both")
COURSE_HINT = 'pip install -e ".[course]"'


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``course`` and its options."""
    description = _("Build the notebooks of notebooks/ (English) and notebooks/zh/ (Chinese) into a static "
                    "site that works offline: every notebook executed and its graphs, plots and steppers "
                    "embedded, formulas as MathML, a front page per language, a language switch on every "
                    "page, the glossary handout and the demo's pages. Open DIR/index.html in a browser, "
                    "from a disk or a USB stick; nothing is loaded from the network. Building all lessons "
                    "takes a few minutes.")
    parser = commands.add_parser("course", formatter_class=Formatter, description=wrap(description),
                                 help=_("the notebooks as an offline, bilingual course site (HTML, PDF)"))
    parser.set_defaults(handler=run)
    parser.add_argument("--out", default="course-site", metavar="DIR",
                        help=_("the directory to write the site into (default: ./course-site)"))
    parser.add_argument("--lang", dest="site_lang", choices=SITE_LANGUAGES, default="both",
                        help=_("the site's languages: en, zh or both (default: both); the messages "
                               "follow TRACEGRAD_LANG or the locale"))
    parser.add_argument("--only", nargs="+", metavar="NN", default=[],
                        help=_("build only the lessons whose names start with these prefixes (e.g. --only 00 05)"))
    parser.add_argument("--pdf", action="store_true",
                        help=_("also print each lesson of each language to a PDF (Chromium), into DIR/pdf/"))
    parser.add_argument("--notebooks", metavar="DIR", default=None,
                        help=_("the notebooks folder (default: the repository's notebooks/)"))
    parser.add_argument("--no-extras", action="store_true",
                        help=_("leave out the glossary handout and the demo's pages"))
    # This command's --lang names the site's languages; its messages follow the top-level --lang,
    # TRACEGRAD_LANG or the locale (and --lang zh alone: a Chinese site, told in Chinese).
    return parser


def run(args: argparse.Namespace) -> int:
    """Check everything, build the site in a temporary folder, then write it into --out (all or nothing)."""
    from .. import course

    out = output_directory(args.out)
    languages = list(course.LANGUAGES) if args.site_lang == "both" else [args.site_lang]
    notebooks = Path(args.notebooks) if args.notebooks else course.COURSE_CONFIGURATION.parent / "notebooks"
    for lang in languages:
        folder = notebooks / ("zh" if lang == "zh" else "")
        if not folder.is_dir():
            raise UsageError(_("--notebooks {folder}: there is no folder {missing} (nothing was done)").format(
                folder=notebooks, missing=folder))
        if not course.find_lessons(notebooks, lang):
            raise UsageError(_("--notebooks {folder}: no lesson notebook (NN_name.md) in {missing} "
                               "(nothing was done)").format(folder=notebooks, missing=folder))
        if args.only and not course.find_lessons(notebooks, lang, args.only):
            raise UsageError(_("--only {prefixes}: no lesson's name starts with that in {folder} "
                               "(nothing was done)").format(prefixes=" ".join(args.only), folder=folder))
    missing = [module for module in ("sphinx", "myst_nb", "sphinx_book_theme", "latex2mathml")
               if importlib.util.find_spec(module) is None]
    if missing:
        raise CommandError(_("the course site needs {modules}: {hint} (nothing was written)").format(
            modules=", ".join(missing), hint=COURSE_HINT))
    if not (course.COURSE_CONFIGURATION / "conf.py").is_file():
        raise CommandError(_("the course configuration {path} is missing: tracegrad course runs from a "
                             "clone of the repository (nothing was written)").format(
            path=course.COURSE_CONFIGURATION / "conf.py"))
    check_outputs([out / "index.html"])

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tracegrad-course-"))
    try:
        site = work / "site"
        site.mkdir()

        def say(lang: str, lessons: list) -> None:
            print(ngettext("building {lang}: {count} lesson, each notebook executed ...",
                           "building {lang}: {count} lessons, each notebook executed ...",
                           len(lessons)).format(lang=lang, count=len(lessons)), flush=True)

        try:
            lessons = course.build_site(notebooks, site, languages, args.only, pdf=args.pdf, work=work / "work",
                                        log=say, extras=not args.no_extras)
        except course.CourseBuildError as error:
            raise CommandError(_("the site could not be built (nothing was written): {error}").format(
                error=error)) from None
        files = {out / path.relative_to(site): path.read_bytes() for path in course.files_of(site)}
        check_outputs(files)
        written = write_outputs(files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    size = sum(path.stat().st_size for path in written)
    print(ngettext("wrote {count} file ({size:.1f} MB) into {folder}/ in {seconds:.0f} s",
                   "wrote {count} files ({size:.1f} MB) into {folder}/ in {seconds:.0f} s",
                   len(written)).format(count=len(written), size=size / 1e6, folder=out, seconds=seconds))
    for lang in languages:
        print(f"  {out / lang / 'index.html'}  " + ngettext("({count} lesson)", "({count} lessons)",
                                                           len(lessons[lang])).format(count=len(lessons[lang])))
    if args.pdf:
        pdfs = sorted(path for path in written if path.suffix == ".pdf")
        print(ngettext("{count} PDF in {folder}/", "{count} PDFs in {folder}/", len(pdfs)).format(
            count=len(pdfs), folder=out / "pdf"))
    print(_("open {page} in a browser (no network needed)").format(page=out / "index.html"))
    return EXIT_OK
