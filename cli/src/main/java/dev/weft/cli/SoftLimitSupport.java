package dev.weft.cli;

import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.softlimit.SoftLimitRun;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryBudget;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher side of {@code weft run --soft-limit SIZE [--heap SIZE]}: takes the flags off the command line
 * and turns them into the child JVM's options. The child side ({@link SoftLimitRun}, in the runtime, called by
 * the agent's {@code RunMain}) installs the watchdog, so that the task that allocates past the limit gets the
 * memory error, its {@code finally} blocks run, and the process exits with {@value SoftLimitRun#EXIT_MEMORY}
 * and a one-paragraph report instead of crashing with an {@link OutOfMemoryError}.
 *
 * {@snippet class=dev.weft.cli.Snippets region=launcher}
 *
 * <p>What the limit bounds: the live Java heap (the watchdog), and NIO direct buffers, which get a cap of the same
 * size ({@code -XX:MaxDirectMemorySize}: beyond it the JDK's own reservation fails with an
 * {@link OutOfMemoryError} that the report names as direct-memory exhaustion). Mapped files, metaspace, thread
 * stacks and other native memory are not bounded; the report shows the process's resident set.
 *
 * <p>Checked here, before a JVM starts: a soft limit below 8 MiB ({@link #SOFT_LIMIT_BYTES_MIN}) and a heap below
 * 12 MiB ({@link #HEAP_BYTES_MIN}; the JVM with Weft's runtime and agent does not start in much less: a
 * {@code --soft-limit 1k} used to die in the JVM's initialisation), and a heap below the limit plus its grace
 * plus the emergency reserve (the real heap would run out before the grace).
 *
 * @implNote The default {@code --heap} is one and a half times the soft limit: room for the grace (an eighth),
 * the reserve and garbage between GCs.
 */
public final class SoftLimitSupport {
    /**
     * The smallest soft limit: with the default heap (1.5 x) it is {@link #HEAP_BYTES_MIN}. Measured: the child
     * JVM with the agent ran a program printing one line with a 6 MiB heap, and failed in the agent's start with 3 MiB.
     */
    public static final long SOFT_LIMIT_BYTES_MIN = 8L << 20;
    /** The smallest heap for the child: twice what the child needed to start and print one line. */
    public static final long HEAP_BYTES_MIN = 12L << 20;
    /**
     * The largest soft limit: 1 EiB, so that the default heap (1.5 x) and the smallest heap for it (the limit, its
     * grace and the reserve) are counted in a {@code long}. Beyond it the default heap overflowed: {@code --soft-limit
     * 8e} (as bytes) gave the child a 12 MiB heap. No JVM reserves a heap near it anyway.
     */
    public static final long SOFT_LIMIT_BYTES_MAX = 1L << 60;

    private SoftLimitSupport() {}

    /**
     * The parsed flags.
     *
     * {@snippet class=dev.weft.cli.Snippets region=extract}
     *
     * @param softLimitBytes the soft limit, or -1 if not given
     * @param heapBytes      the child's maximum heap, or -1 (then 1.5 x the soft limit, if one was given)
     * @param remaining      the arguments without the flags
     */
    public record Flags(long softLimitBytes, long heapBytes, String[] remaining) {
        /** Whether {@code --soft-limit} was given. */
        public boolean enabled() {
            return softLimitBytes > 0;
        }
    }

    /**
     * Extracts {@code --soft-limit SIZE} and {@code --heap SIZE} (also {@code --soft-limit=SIZE}) from the
     * options before {@code -cp}/{@code -jar}; everything else is kept, in order.
     *
     * @throws IllegalArgumentException for a missing or malformed size, a size too small for the JVM, or a heap
     *     smaller than the limit plus its grace and the reserve (the message names both values and the fix)
     */
    public static Flags extract(String[] args) {
        long soft = -1;
        long heap = -1;
        List<String> rest = new ArrayList<>();
        boolean program = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!program && (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-jar"))) {
                program = true;
            }
            if (!program && (a.equals("--soft-limit") || a.equals("--heap"))) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a size, e.g. " + a + " 64m");
                }
                long v = ByteSizes.parse(args[++i], a);
                if (a.equals("--soft-limit")) {
                    soft = v;
                } else {
                    heap = v;
                }
            } else if (!program && (a.startsWith("--soft-limit=") || a.startsWith("--heap="))) {
                String name = a.substring(0, a.indexOf('='));
                long v = ByteSizes.parse(a.substring(a.indexOf('=') + 1), name);
                if (name.equals("--soft-limit")) {
                    soft = v;
                } else {
                    heap = v;
                }
            } else {
                rest.add(a);
            }
        }
        if (soft >= 0 && soft < SOFT_LIMIT_BYTES_MIN) {
            throw new IllegalArgumentException("--soft-limit " + ByteSizes.format(soft) + " is too small: the program runs in a"
                    + " JVM with Weft's runtime and agent, which needs a heap of at least "
                    + ByteSizes.format(HEAP_BYTES_MIN) + "; give --soft-limit " + (SOFT_LIMIT_BYTES_MIN >> 20)
                    + "m or more (a bare number is bytes: 64m is 64 MiB)");
        }
        if (soft > SOFT_LIMIT_BYTES_MAX) {
            throw new IllegalArgumentException("--soft-limit " + ByteSizes.format(soft) + " is too large: the child's heap"
                    + " is 1.5 x the limit by default, and no JVM reserves a heap above " + ByteSizes.format(SOFT_LIMIT_BYTES_MAX)
                    + "; give a --soft-limit below the machine's memory, e.g. --soft-limit 4g");
        }
        if (heap >= 0 && heap < HEAP_BYTES_MIN) {
            throw new IllegalArgumentException("--heap " + ByteSizes.format(heap) + " is too small: the JVM with Weft's runtime"
                    + " and agent needs at least " + ByteSizes.format(HEAP_BYTES_MIN) + "; give --heap "
                    + (HEAP_BYTES_MIN >> 20) + "m or more (a bare number is bytes: 64m is 64 MiB)");
        }
        if (soft > 0 && heap > 0 && heap < heapBytesMin(soft)) {
            long grace = graceBytes(soft);
            throw new IllegalArgumentException("--heap " + ByteSizes.format(heap) + " is too small for --soft-limit "
                    + ByteSizes.format(soft) + ": the live heap may reach the limit plus its grace ("
                    + ByteSizes.format(soft + grace) + ") and the emergency reserve takes "
                    + ByteSizes.format(reserveBytes(heap)) + " more, so the real heap would run out first; give --heap "
                    + mebibytesCeil(defaultHeapBytes(soft)) + "m (1.5 x the limit, the default) or at least "
                    + mebibytesCeil(heapBytesMin(soft)) + "m, or a smaller --soft-limit");
        }
        return new Flags(soft, heap, rest.toArray(String[]::new));
    }

    /**
     * The collectors {@code --soft-limit} accepts: G1 only. Parallel and Serial are refused by the child before the
     * program runs (status 2): under them the program outran the watchdog (docs/benchmarks.md, "Soft limit").
     */
    static final String COLLECTORS = "G1";

    /** The grace the child's root budget lends (an eighth of the limit: {@code MemoryBudget.GRACE_FRACTION_DEFAULT}). */
    static long graceBytes(long softLimitBytes) {
        return (long) (softLimitBytes * MemoryBudget.GRACE_FRACTION_DEFAULT);
    }

    /** The emergency reserve a heap of {@code heapBytes} gets ({@code HeapWatchdog.defaultReserveBytes()}). */
    static long reserveBytes(long heapBytes) {
        return Math.min(HeapWatchdog.RESERVE_BYTES_MAX_DEFAULT, heapBytes / HeapWatchdog.RESERVE_FRACTION_DEFAULT_INVERSE);
    }

    /** The smallest heap for a soft limit: the limit, its grace and the reserve (which is a share of the heap). */
    static long heapBytesMin(long softLimitBytes) {
        long withoutReserve = softLimitBytes + graceBytes(softLimitBytes);
        long heap = withoutReserve + withoutReserve / (HeapWatchdog.RESERVE_FRACTION_DEFAULT_INVERSE - 1) + 1;
        return Math.max(HEAP_BYTES_MIN, Math.min(heap, withoutReserve + HeapWatchdog.RESERVE_BYTES_MAX_DEFAULT));
    }

    /** The heap the child gets without {@code --heap}. */
    static long defaultHeapBytes(long softLimitBytes) {
        return Math.max(HEAP_BYTES_MIN, softLimitBytes / 2 * 3);
    }

    private static long mebibytesCeil(long bytes) {
        return Math.max(1, (bytes + (1 << 20) - 1) >> 20);
    }

    /**
     * JVM options for the child (before {@code -cp}): {@code -Xmx}, the soft limit, the cap on direct buffers, the
     * watchdog switch, the collectors accepted.
     */
    public static List<String> childJvmArgs(Flags flags) {
        List<String> out = new ArrayList<>();
        long heap = flags.heapBytes();
        if (heap < 0 && flags.enabled()) {
            heap = defaultHeapBytes(flags.softLimitBytes());
        }
        if (heap > 0) {
            out.add("-Xmx" + mebibytesCeil(heap) + "m");
        }
        if (flags.enabled()) {
            out.add("-Dweft.memory.softLimit=" + flags.softLimitBytes());
            out.add("-XX:MaxDirectMemorySize=" + flags.softLimitBytes());
            out.add("-D" + SoftLimitRun.PROPERTY_WATCHDOG + "=on");
            out.add("-D" + SoftLimitRun.PROPERTY_COLLECTORS + "=" + COLLECTORS);
        }
        return out;
    }
}
