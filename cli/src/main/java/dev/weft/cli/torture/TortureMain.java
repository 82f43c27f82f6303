package dev.weft.cli.torture;

import dev.weft.cli.torture.TortureModel.Invariant;
import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The torture suite from the command line.
 *
 * <pre>
 * TortureMain --seed S [--repeat R]    replay one seed (R times): prints its tree and every violation
 * TortureMain --seconds N [--base B]   seeds B, B+1, ... (B random by default) for N seconds: prints each
 *                                      failing seed, then a summary ({@code --base 20250000} is TortureTest's run)
 * </pre>
 *
 * Exit status 0 if every tree passed, 1 if one failed, 2 for bad usage. Run it with JDK 25 and
 * {@code -ea --add-opens java.base/java.lang=ALL-UNNAMED} on the runtime's classes and test classes.
 */
public final class TortureMain {
    /** A stuck runtime is left behind when a tree is abandoned; stop the search after this many. */
    static final int ABANDONED_MAX = 3;

    private TortureMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** {@code weft torture [--seed S [--repeat R] | --seconds N [--base B]] [--verbose]}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Long seed = null;
        long seconds = 10;
        long base = new SplittableRandom().nextLong();
        boolean verbose = false;
        int repeat = 1;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--seconds" -> seconds = Long.parseLong(args[++i]);
                    case "--base" -> base = Long.parseLong(args[++i]);
                    case "--verbose" -> verbose = true;
                    case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
        } catch (RuntimeException e) {
            err.println("weft torture: " + (e instanceof ArrayIndexOutOfBoundsException ? "an option lacks its value"
                    : e instanceof NumberFormatException ? "options take whole numbers (" + e.getMessage() + ")"
                    : e.getMessage())
                    + "\nusage: weft torture [--seed S [--repeat R] | --seconds N [--base B]] [--verbose]");
            return 2;
        }
        return seed != null ? replay(seed, repeat, out) : search(seconds, base, verbose, out);
    }

    /** Runs {@code seed} {@code repeat} times (the tree is the same; thread timing is not); prints the first failure. */
    private static int replay(long seed, int repeat, PrintStream out) {
        int failed = 0;
        TortureEngine.Result shown = null;
        for (int i = 0; i < repeat; i++) {
            TortureEngine.Result r = TortureEngine.run(seed);
            if (!r.ok()) {
                failed++;
            }
            if (shown == null && (!r.ok() || i == repeat - 1)) {
                shown = r;
                out.print(r.report());
            }
        }
        out.println("torture: seed " + seed + (failed == 0 ? " passed" : " FAILED") + (repeat > 1
                ? " (" + failed + " of " + repeat + " runs failed)" : ""));
        return failed == 0 ? 0 : 1;
    }

    private static int search(long seconds, long base, boolean verbose, PrintStream out) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<Invariant, Integer> broken = new EnumMap<>(Invariant.class);
        int trees = 0;
        int failed = 0;
        int abandoned = 0;
        long[] slowest = new long[2];
        long totalNs = 0;
        while (System.nanoTime() < end && abandoned < ABANDONED_MAX) {
            long seed = base + trees;
            TortureEngine.Result r = TortureEngine.run(seed);
            trees++;
            totalNs += r.elapsedNs();
            if (r.elapsedNs() > slowest[0]) {
                slowest[0] = r.elapsedNs();
                slowest[1] = seed;
            }
            if (!r.ok()) {
                failed++;
                r.broken().forEach(inv -> broken.merge(inv, 1, Integer::sum));
                out.println("FAIL " + r.line());
                if (verbose) {
                    out.print(r.report());
                }
            }
            if (r.abandoned()) {
                abandoned++;
            }
        }
        out.println("torture: " + trees + " trees in " + seconds + " s (base " + base + "), " + failed
                + " failed" + (broken.isEmpty() ? "" : " " + broken)
                + (abandoned >= ABANDONED_MAX ? "; stopped after " + abandoned + " abandoned runs" : ""));
        out.println("torture: mean " + (trees == 0 ? 0 : totalNs / trees / 1000) + " us per tree, slowest "
                + slowest[0] / 1_000_000 + " ms (seed " + slowest[1] + ")");
        return failed == 0 ? 0 : 1;
    }
}
