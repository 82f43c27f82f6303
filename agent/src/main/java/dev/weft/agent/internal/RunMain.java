package dev.weft.agent.internal;

import dev.weft.Weft;
import dev.weft.internal.softlimit.SoftLimitRun;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Arrays;

/**
 * The child-JVM side of {@code weft run}: runs an unmodified program's {@code main} as the Weft root task, with an
 * optional deadline, and exits with {@link Weft#exitStatus}: 0, 1 (the program failed), 124 (the deadline
 * passed; cleanup ran; also when the program caught the cancellation or returned after the deadline), 130 (Ctrl-C),
 * 143 (SIGTERM), 125 (the program did not stop within the deadline plus the grace: the threads still running are
 * printed and the JVM halts); under {@code --soft-limit} also 122 ({@link SoftLimitRun}).
 * A program that calls {@code System.exit} keeps its status; 2 if the main class cannot be started.
 *
 * <p>Usage (built by {@code dev.weft.cli.RunCommand}): {@code RunMain [--timeout-ns N [--grace-ns G]] MAIN [ARGS...]}.
 */
public final class RunMain {
    private RunMain() {}

    /** The status when the program did not stop within its deadline plus the grace (the cli's ExitStatus.STUCK). */
    static final int EXIT_STUCK = 125;

    public static void main(String[] args) throws Throwable {
        int i = 0;
        Weft.Options options = Weft.options().name("main");
        long timeoutNs = -1;
        long graceNs = 0;
        if (args.length > 1 && args[0].equals("--timeout-ns")) {
            timeoutNs = Long.parseLong(args[1]);
            options.timeout(Duration.ofNanos(timeoutNs));
            i = 2;
            if (args.length > 3 && args[2].equals("--grace-ns")) {
                graceNs = Long.parseLong(args[3]);
                i = 4;
            }
        }
        if (i >= args.length) {
            System.err.println("weft run: no main class given");
            System.exit(2);
        }
        String mainClass = args[i];
        String[] programArgs = Arrays.copyOfRange(args, i + 1, args.length);
        MethodHandle main = findMain(mainClass);
        long startNs = System.nanoTime();
        if (timeoutNs >= 0) {
            startBound(startNs + timeoutNs + graceNs, graceNs);
        }
        // like Weft.exitStatus, plus status 122 and a report after a memory error
        int status = SoftLimitRun.exitStatus(() -> Weft.run(options, () -> {
            if (main.type().parameterCount() == 0) {
                main.invoke();
            } else {
                main.invoke(programArgs);
            }
            return null;
        }));
        if (timeoutNs >= 0 && (status == 0 || status == Weft.EXIT_FAILED) && System.nanoTime() - startNs >= timeoutNs) {
            // the deadline fired, and the program caught the cancellation at its top or returned anyway
            System.err.println("weft: the program's deadline passed" + (status == 0 ? "; it returned after it"
                    : "; it then failed (above)"));
            status = Weft.EXIT_TIMEOUT;
        }
        System.exit(status);
    }

    /**
     * The hard bound: at {@code haltAtNs} (deadline plus grace), prints where every thread still running is stuck
     * and halts with {@link #EXIT_STUCK}. A daemon platform thread that only sleeps until then.
     */
    private static void startBound(long haltAtNs, long graceNs) {
        Thread t = Thread.ofPlatform().name("weft-run-bound").daemon(true).unstarted(() -> {
            long leftNs;
            while ((leftNs = haltAtNs - System.nanoTime()) > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(leftNs));
                } catch (InterruptedException e) {
                    // not cancelled by anyone: keep the bound
                }
            }
            try {
                System.err.print(StuckReport.render(graceNs / 1_000_000));
                System.err.flush();
            } finally {
                Runtime.getRuntime().halt(EXIT_STUCK);
            }
        });
        t.start();
    }

    private static MethodHandle findMain(String mainClass) {
        Class<?> c;
        try {
            c = Class.forName(mainClass, false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            System.err.println("weft run: cannot load main class " + mainClass + " (" + e + "); check -cp and the"
                    + " class name (fully qualified, with dots)");
            System.exit(2);
            throw new AssertionError(e);
        }
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        try {
            return lookup.findStatic(c, "main", MethodType.methodType(void.class, String[].class));
        } catch (ReflectiveOperationException e) {
            try {
                return lookup.findStatic(c, "main", MethodType.methodType(void.class));
            } catch (ReflectiveOperationException e2) {
                System.err.println("weft run: " + mainClass + " has no public static void main(String[]) or main();"
                        + " weft run starts a static main method");
                System.exit(2);
                throw new AssertionError(e2);
            }
        }
    }
}
