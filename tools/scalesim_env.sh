#!/usr/bin/env bash
# Create (once) and print the path of the SCALE-Sim virtual environment used by the `scalesim`
# tests and benchmarks/vs_scalesim.py. SCALE-Sim 3.0.0 crashes on numpy 2.4, so it gets its own
# venv with numpy<2.4. Idempotent: a second run only prints the interpreter path.
#   usage: tools/scalesim_env.sh            -> prints .venv-scalesim/bin/python (exit 0) or fails (exit 1)
#   env:   VITSIM_SCALESIM_VENV overrides the venv directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VITSIM_SCALESIM_VENV:-$root/.venv-scalesim}"
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import scalesim.scale_sim" >/dev/null 2>&1; then
    echo "$py"
    exit 0
fi
python3 -m venv "$venv" >&2
"$py" -m pip install --quiet --upgrade pip >&2
"$py" -m pip install --quiet scalesim 'numpy<2.4' >&2
"$py" -c "import scalesim.scale_sim" >&2
echo "$py"
