package dev.weft.cli;

import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.softlimit.SoftLimitRun;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher side of {@code weft run --soft-limit SIZE [--heap SIZE]}: takes the flags off the command line
 * and turns them into the child JVM's options. The child side ({@link SoftLimitRun}, in the runtime, called by
 * the agent's {@code RunMain}) installs the watchdog, so that the task that allocates past the limit gets the
 * memory error, its {@code finally} blocks run, and the process exits with {@value SoftLimitRun#EXIT_MEMORY}
 * and a one-paragraph report instead of crashing with an {@link OutOfMemoryError}.
 *
 * {@snippet :
 * // In the launcher (weft run):
 * SoftLimitSupport.Flags mem = SoftLimitSupport.extract(args);   // strips --soft-limit / --heap
 * command.addAll(SoftLimitSupport.childJvmArgs(mem));             // before -cp; -Xmx, -Dweft.memory.*
 * }
 *
 * @implNote The default {@code --heap} is one and a half times the soft limit: room for the grace (an eighth),
 * the reserve and garbage between GCs.
 */
public final class SoftLimitSupport {
    private SoftLimitSupport() {}

    /**
     * The parsed flags.
     *
     * {@snippet :
     * SoftLimitSupport.Flags f = SoftLimitSupport.extract(new String[] {"--soft-limit", "64m", "-cp", "app.jar", "Main"});
     * // f.softLimitBytes() == 64 MiB, f.heapBytes() == -1, f.remaining() == ["-cp", "app.jar", "Main"]
     * }
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
     * @throws IllegalArgumentException for a missing or malformed size, or a heap smaller than the limit
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
        if (soft == 0) {
            throw new IllegalArgumentException("--soft-limit must be positive");
        }
        if (soft > 0 && heap > 0 && heap <= soft) {
            throw new IllegalArgumentException("--heap " + ByteSizes.format(heap) + " must be larger than --soft-limit "
                    + ByteSizes.format(soft) + " (room for the grace, the emergency reserve and garbage); try --heap "
                    + (soft * 3 / 2 >> 20) + "m");
        }
        return new Flags(soft, heap, rest.toArray(String[]::new));
    }

    /** JVM options for the child (before {@code -cp}): {@code -Xmx}, the soft limit, the watchdog switch. */
    public static List<String> childJvmArgs(Flags flags) {
        List<String> out = new ArrayList<>();
        long heap = flags.heapBytes();
        if (heap < 0 && flags.enabled()) {
            heap = flags.softLimitBytes() * 3 / 2;
        }
        if (heap > 0) {
            out.add("-Xmx" + Math.max(1, (heap + (1 << 20) - 1) >> 20) + "m");
        }
        if (flags.enabled()) {
            out.add("-Dweft.memory.softLimit=" + flags.softLimitBytes());
            out.add("-D" + SoftLimitRun.PROPERTY_WATCHDOG + "=on");
        }
        return out;
    }
}
