#!/usr/bin/env bash
# Refresh tracegrad's message catalogues with Babel, one per layer:
#   views (autograd/viz), nn (nn/*.py), app (nn/app).
# Extracts every message marked _(), N_() or ngettext() into
# autograd/locale/<layer>.pot, merges it into each language's .po (new
# messages come in untranslated: tests/test_i18n.py fails until they are
# translated), and compiles the .po files to the .mo files the package reads.
#   bash scripts/translations.sh            extract + update + compile, every layer
#   bash scripts/translations.sh app nn     the same for these layers only
#   bash scripts/translations.sh compile    compile only (every layer; or: compile app)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALE=autograd/locale
declare -A SOURCES=([views]="autograd/viz" [nn]="nn/*.py" [app]="nn/app")
extract=yes
if [ "${1:-}" = "compile" ]; then
    extract=no
    shift
fi
domains=("$@")
[ "${#domains[@]}" -gt 0 ] || domains=(views nn app)
for domain in "${domains[@]}"; do
    [ -n "${SOURCES[$domain]:-}" ] || { echo "translations.sh: no layer '$domain' (views, nn, app)" >&2; exit 2; }
done
if [ "$extract" = yes ]; then
    for domain in "${domains[@]}"; do
        # shellcheck disable=SC2086  # the nn pattern is meant to expand
        "$PYBABEL" extract -k N_ -k ngettext:1,2 --no-location --sort-output \
            -o "$LOCALE/$domain.pot" ${SOURCES[$domain]} >/dev/null
        for lang_dir in "$LOCALE"/*/; do
            [ -d "$lang_dir/LC_MESSAGES" ] || continue
            po="$lang_dir/LC_MESSAGES/$domain.po"
            if [ ! -e "$po" ]; then
                "$PYBABEL" init -D "$domain" -i "$LOCALE/$domain.pot" -o "$po" -l "$(basename "$lang_dir")" >/dev/null
                continue
            fi
            "$PYBABEL" update -D "$domain" -i "$LOCALE/$domain.pot" -o "$po" -l "$(basename "$lang_dir")" \
                --no-fuzzy-matching --ignore-obsolete >/dev/null
        done
    done
fi
for domain in "${domains[@]}"; do
    for po in "$LOCALE"/*/LC_MESSAGES/"$domain".po; do
        "$PYBABEL" compile -i "$po" -o "${po%.po}.mo" >/dev/null
    done
done
