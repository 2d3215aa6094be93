# Checks a model against a DIMACS CNF, independently of sethkit: every
# clause needs a true literal and every variable of a clause a value.
#   awk -v model="v 1 -2 ... 0" -f check_model.awk FILE.cnf
# Prints nothing when the model satisfies the formula, else the reason.
BEGIN {
  n = split(model, t, /[ \t\n]+/)
  for (i = 1; i <= n; i++)
    if (t[i] != "v" && t[i] != "" && t[i] != 0) {
      v = t[i] < 0 ? -t[i] : t[i]
      value[v] = t[i] > 0
      given[v] = 1
    }
}
$1 == "%" { exit }
/^[cp]/ || NF == 0 { next }
{
  for (i = 1; i <= NF; i++) {
    l = $i + 0
    if (l == 0) {
      if (!sat) { print "clause " clauses + 1 " is false"; bad = 1; exit }
      clauses++
      sat = 0
      continue
    }
    v = l < 0 ? -l : l
    if (!(v in given)) { print "variable " v " has no value"; bad = 1; exit }
    if ((l > 0) == value[v]) sat = 1
  }
}
END { if (!bad && clauses == 0) print "read no clauses" }
