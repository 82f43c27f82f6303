package dev.weft.http.internal.load;

import java.util.List;
import java.util.Locale;

/**
 * A line plot as SVG text, for latency over time: any number of series on a left axis (milliseconds), and
 * optionally one on a right axis (the offered load). No dependencies; the output opens in any browser.
 *
 * <h2>Thread safety</h2>
 * Stateless.
 */
public final class LatencyPlot {
    private LatencyPlot() {}

    /**
     * One line.
     *
     * @param name   its legend
     * @param color  an SVG color
     * @param x      x values (seconds)
     * @param y      y values, as many as x
     * @param right  whether it goes on the right axis
     * @param dashed whether it is drawn dashed
     */
    public record Series(String name, String color, double[] x, double[] y, boolean right, boolean dashed) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + name + " has " + x.length + " x values and "
                        + y.length + " y values; give one y per x");
            }
        }
    }

    private static final int W = 900;
    private static final int H = 420;
    private static final int LEFT = 70;
    private static final int RIGHT = 70;
    private static final int TOP = 40;
    private static final int BOTTOM = 90;

    /** The plot: {@code title} on top, the axes labelled {@code xLabel}, {@code yLabel}, {@code rightLabel}. */
    public static String svg(String title, String xLabel, String yLabel, String rightLabel, List<Series> series) {
        double xMax = 1;
        double yMax = 1;
        double rMax = 1;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                xMax = Math.max(xMax, s.x()[i]);
                if (s.right()) {
                    rMax = Math.max(rMax, s.y()[i]);
                } else {
                    yMax = Math.max(yMax, s.y()[i]);
                }
            }
        }
        yMax = nice(yMax);
        rMax = nice(rMax);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT, esc(title)));
        for (int t = 0; t <= 5; t++) { // grid and tick labels
            double fy = TOP + ph - ph * t / 5.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, fy, LEFT + pw, fy));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 6, fy + 4, num(yMax * t / 5)));
            if (rightLabel != null) {
                sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\">%s</text>%n", LEFT + pw + 6, fy + 4,
                        num(rMax * t / 5)));
            }
            double fx = LEFT + pw * t / 5.0;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    fx, TOP + ph + 16, num(xMax * t / 5)));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                + " stroke=\"#444\"/>%n", LEFT, TOP, pw, ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + pw / 2, TOP + ph + 34, esc(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">"
                + "%s</text>%n", TOP + ph / 2, esc(yLabel)));
        if (rightLabel != null) {
            sb.append(String.format(Locale.ROOT, "<text transform=\"translate(%d %d) rotate(90)\""
                    + " text-anchor=\"middle\">%s</text>%n", W - 14, TOP + ph / 2, esc(rightLabel)));
        }
        int legendX = LEFT;
        for (Series s : series) {
            double max = s.right() ? rMax : yMax;
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                double px = LEFT + pw * s.x()[i] / xMax;
                double py = TOP + ph - ph * Math.min(1, s.y()[i] / max);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s"
                    + " points=\"%s\"/>%n", s.color(), s.dashed() ? " stroke-dasharray=\"6 4\"" : "",
                    pts.toString().strip()));
            int ly = H - 22;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"3\"%s/>%n", legendX, ly, legendX + 22, ly, s.color(),
                    s.dashed() ? " stroke-dasharray=\"6 4\"" : ""));
            String label = s.name() + (s.right() && rightLabel != null ? " (right)" : "");
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", legendX + 27, ly + 4,
                    esc(label)));
            legendX += 40 + 7 * label.length();
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** The least of 1, 2, 5 times a power of ten at or above {@code v}. */
    static double nice(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
