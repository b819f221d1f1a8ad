# Sourced by .ci/check-sql.sh and .ci/check-sql-spark.sh: runs `cost-audit audit --format csv` and the script of
# `cost-audit sql` on the same inputs and compares the two CSVs.
#
# The `skipped_line` rows keep their FILE:LINE (the reason is the Swift reader's wording, which the SQL cannot
# give), and are compared as a set: the audit lists files in directory order, the SQL bytewise.
# Needs $tool (the cost-audit binary) and $work (a scratch directory); $sql_options (an array, may be unset) is
# added to the `cost-audit sql` command line only.

normalize_swift() {
    grep -v '^skipped_line,' "$1" || true
    grep '^skipped_line,' "$1" | sed -E 's/^skipped_line,"?(.*:[0-9]+): .*$/skipped_line,\1,,,/' | LC_ALL=C sort || true
}
normalize_sql() {
    grep -v '^skipped_line,' "$1" || true
    grep '^skipped_line,' "$1" | LC_ALL=C sort || true
}

# compare_sql DIALECT ENGINE_NAME RUNNER NAME AUDIT_ARGUMENTS...: RUNNER SCRIPT OUT_CSV runs the script. Returns 1
# when the engine fails or the CSVs differ (the diff printed), so a caller counts failures even from a subshell.
compare_sql() {
    local dialect="$1" engine="$2" runner="$3" name="$4"
    shift 4
    echo "== $name"
    "$tool" audit --format csv --quiet "$@" > "$work/$name.swift.csv"
    "$tool" sql --dialect "$dialect" "$@" ${sql_options[@]+"${sql_options[@]}"} > "$work/$name.sql"
    local start=$SECONDS
    if ! "$runner" "$work/$name.sql" "$work/$name.$dialect.csv"; then
        echo "error: $name: $engine failed on the script"
        return 1
    fi
    echo "   $dialect: $((SECONDS - start)) s, $(wc -l < "$work/$name.swift.csv") rows"
    if ! diff <(normalize_swift "$work/$name.swift.csv") <(normalize_sql "$work/$name.$dialect.csv"); then
        echo "error: $name: the $engine SQL's CSV differs from cost-audit audit's (< audit, > $engine)"
        return 1
    fi
    echo "   equal, byte for byte"
}

# compare_report DIALECT ENGINE_NAME RUNNER NAME "REPORT OPTIONS" AUDIT_ARGUMENTS...: as compare_sql, for
# `cost-audit report --format csv REPORT OPTIONS` against `cost-audit sql --report REPORT OPTIONS` (every row,
# byte for byte, the header line included). RUNNER SCRIPT OUT_CSV writes the script's `-- CSV header:` line and
# then the last column of each row.
compare_report() {
    local dialect="$1" engine="$2" runner="$3" name="$4" options="$5"
    shift 5
    # shellcheck disable=SC2086 # the options are words
    "$tool" report --format csv --quiet --now 2026-12-01 $options "$@" > "$work/$name.swift.csv" 2> /dev/null
    # shellcheck disable=SC2086
    "$tool" sql --dialect "$dialect" --report $options ${sql_options[@]+"${sql_options[@]}"} "$@" > "$work/$name.sql"
    if ! "$runner" "$work/$name.sql" "$work/$name.$dialect.csv"; then
        echo "error: $name: $engine failed on the report script ($options)"
        return 1
    fi
    if ! cmp -s "$work/$name.swift.csv" "$work/$name.$dialect.csv"; then
        diff "$work/$name.swift.csv" "$work/$name.$dialect.csv" | head -20
        echo "error: $name: the $engine report differs from cost-audit report's ($options; < report, > $engine)"
        return 1
    fi
    echo "   report $options: equal, $(wc -l < "$work/$name.swift.csv") lines"
}
