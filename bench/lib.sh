# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for bench/<name>/run scripts. Source it.

# bench_report NAME FIGURE VALUE UNIT OP TARGET
#   OP is one of <= >= < >; prints the BENCH line with met or missed.
bench_report () {
  local name=$1 figure=$2 value=$3 unit=$4 op=$5 target=$6 verdict
  if /usr/bin/python3 -c "import sys, operator as o
ops = {'<=': o.le, '>=': o.ge, '<': o.lt, '>': o.gt}
sys.exit(0 if ops[sys.argv[2]](float(sys.argv[1]), float(sys.argv[3])) else 1)" "$value" "$op" "$target"; then
    verdict=met
  else
    verdict=missed
  fi
  echo "BENCH $name $figure $value $unit target $op$target $verdict"
}

# bench_time_ms COMMAND… : runs it and prints the wall time in milliseconds.
bench_time_ms () {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

# bench_median N…: the median of the numbers given.
bench_median () {
  printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
