# Sourced by the check and benchmark scripts that run Python tools (DuckDB, PySpark): one place that says where
# their virtual environments live and which versions they hold.
#
#     source .ci/python-venv.sh
#     venv="$(python_venv duckdb)"       # made once, then reused
#
# Each tool's venv is made once under the cache directory,
# ${XDG_CACHE_HOME:-~/.cache}/swift-cost-attribution/NAME-VERSION (as .ci/check-focus.sh keeps focus-validator's),
# with the tool pinned to the version the checks were verified with, so that a new release on PyPI cannot
# change a byte-for-byte comparison behind the checks' back. DUCKDB_VENV or SPARK_VENV names a venv of your own
# instead (used as it is, never installed into).

# The versions the checks were verified with (2026-12-07): DuckDB 2.0.1 (.ci/check-sql.sh, .ci/sql-lineage-fuzz.sh,
# Benchmarks/scripts/scale_benchmark.sh); PySpark 4.x (.ci/check-sql-spark.sh; the run of docs/scale.md did not
# record the minor version, so the range stays until one is measured).
PYTHON_VENV_DUCKDB_PIN="duckdb==2.0.1"
PYTHON_VENV_SPARK_PIN="pyspark>=4,<5"

# Prints the venv's path for `duckdb` or `spark`, making it first when it does not import its module.
python_venv() {
    local name=$1 override pin module path
    case "$name" in
        duckdb) override="${DUCKDB_VENV:-}" pin="$PYTHON_VENV_DUCKDB_PIN" module=duckdb path=duckdb-2.0.1 ;;
        spark) override="${SPARK_VENV:-}" pin="$PYTHON_VENV_SPARK_PIN" module=pyspark path=pyspark-4 ;;
        *)
            echo "error: python_venv: unknown tool '$name' (duckdb, spark)" >&2
            return 1
            ;;
    esac
    if [ -n "$override" ]; then
        echo "$override"
        return
    fi
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/swift-cost-attribution/$path"
    if ! "$venv/bin/python" -c "import $module" 2> /dev/null; then
        echo "== creating $venv ($pin from PyPI)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin" >&2
    fi
    echo "$venv"
}
