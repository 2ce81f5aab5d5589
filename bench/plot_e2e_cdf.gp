# bench/plot_e2e_cdf.gp — freshness CDF at 10k events/s (bench/e2e); gnuplot -e "out='DIR'"
set terminal pngcairo size 800,500
set output out."/e2e_cdf.png"
set title "freshness CDF at 10k events/s offered (histogram bucket bounds)"
set logscale x
set xlabel "latency (ms)"
set ylabel "fraction of lists written"
set yrange [0:1.02]
set grid
set key bottom right
plot out."/e2e_cdf.dat" index 0 using 1:2 with steps lw 2 title "coalesce 0: end to end", \
     out."/e2e_cdf.dat" index 1 using 1:2 with steps lw 2 title "coalesce 0: engine", \
     out."/e2e_cdf.dat" index 2 using 1:2 with steps lw 2 title "default: end to end", \
     out."/e2e_cdf.dat" index 3 using 1:2 with steps lw 2 title "default: engine", \
     5 with lines dt 2 notitle
