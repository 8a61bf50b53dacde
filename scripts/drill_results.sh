# shellcheck shell=bash
# The `result:` lines of `./dev drill`: only the scorecards this run's own pytest listed (the plugin's
# --drill-scorecard-list file: one "scenario<TAB>path" line per scorecard), never another run's from reports/.
#
#   drdrill_drill_results LIST_FILE SCENARIO[,SCENARIO...]
drdrill_drill_results() {
  local list="$1" scenarios="$2" name found
  local -a names
  IFS=',' read -r -a names <<<"$scenarios"
  for name in "${names[@]}"; do
    name="${name//[[:space:]]/}"
    [ -n "$name" ] || continue
    found=$(awk -F '\t' -v s="$name" '$1 == s { p = $2 } END { if (p != "") print p }' "$list" 2>/dev/null || true)
    if [ -n "$found" ]; then
      echo "result: $found"
    else
      echo "result: no scorecard was written for $name (see the errors above)"
    fi
  done
}
