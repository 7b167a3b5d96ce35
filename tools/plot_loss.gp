# Loss curves of a housenet run with gnuplot, from the CSV export:
#
#   housenet curves export runs/ames/curves.h5 --csv -o curves.csv
#   gnuplot -e "in='curves.csv'; out='loss.png'" tools/plot_loss.gp
#
# Top: training and validation loss (log scale) against the epoch;
# bottom: the learning rate. Columns are found by their header names, so
# the script keeps working when curves.h5 gains columns.
if (!exists("in")) in = 'curves.csv'
if (!exists("out")) out = 'loss.png'
set terminal pngcairo size 800,600 noenhanced
set output out
set datafile separator comma
set datafile missing ''
set key autotitle columnhead
set multiplot title in
set size 1,0.68
set origin 0,0.3
set logscale y
set grid
set ylabel 'loss, 1/2 (y - h)^2, normalised'
unset xlabel
plot in using (column('epoch')):(column('train_loss')) with lines lw 2 title 'training loss', \
     in using (column('epoch')):(column('val_loss')) with lines lw 2 title 'validation loss'
set size 1,0.3
set origin 0,0
unset logscale y
set yrange [0:*]
set ytics format '%g'
set ylabel 'learning rate'
set xlabel 'epoch'
plot in using (column('epoch')):(column('learning_rate')) with lines lw 2 notitle
unset multiplot
