#!/usr/bin/env sh
# Print the path of a Python >= 3.12 (3.13 preferred), looking in PATH and in pyenv.
for candidate in python3.13 python3.12; do
    found=$(command -v "$candidate" 2>/dev/null) || continue
    if "$found" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        echo "$found"; exit 0
    fi
done
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*; do
    if [ -x "$dir/bin/python3" ]; then echo "$dir/bin/python3"; exit 0; fi
done
echo "No Python 3.12 or 3.13 found: install python3.13 (or 3.12), e.g. with pyenv or your package manager." >&2
exit 1
