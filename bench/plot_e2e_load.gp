# bench/plot_e2e_load.gp — achieved vs offered load of `rtrec run` (bench/e2e); gnuplot -e "out='DIR'"
set terminal pngcairo size 800,500
set output out."/e2e_load.png"
set title "rtrec run: achieved vs offered load (training on, embedded broker)"
set logscale xy
set xlabel "offered events/s (rtrec replay --rate)"
set ylabel "achieved events/s (consumed and processed)"
set grid
set key top left
plot out."/e2e_load.dat" using 1:2 with points pt 7 ps 1.2 title "achieved (every run)", \
     out."/e2e_load.dat" using 1:1 with lines dt 2 title "offered (ideal)"
