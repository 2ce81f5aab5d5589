# bench/plot_e2e_fresh.gp — p50 and p99 freshness vs offered load of `rtrec run` (bench/e2e),
# beside the broker path alone (kcat) in the same runs; gnuplot -e "out='DIR'"
set terminal pngcairo size 800,500
set output out."/e2e_fresh.png"
set title "Freshness vs offered load (every run; embedded broker)"
set logscale xy
set xlabel "offered events/s (rtrec replay --rate)"
set ylabel "ms"
set grid
set key top left
f = out."/e2e_load.dat"
plot f using 1:6 with points pt 7 ps 1.2 title "end to end p99", \
     f using 1:5 with points pt 6 ps 1.2 title "end to end p50", \
     f using 1:4 with points pt 5 ps 1.0 title "engine p99", \
     f using 1:3 with points pt 4 ps 1.0 title "engine p50", \
     f using 1:8 with points pt 9 ps 1.0 title "broker path alone (kcat) p99", \
     f using 1:7 with points pt 8 ps 1.0 title "broker path alone (kcat) p50"
