package dev.weft.agent.internal;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.Weft;
import dev.weft.internal.cancel.ProgramCancel;
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
 * <p>The whole program is cancelled, its own threads too, and its cleanup gets a grace: {@link ProgramCancel}. After
 * {@code main} returns, the non-daemon threads it started keep the program alive, as on a plain JVM; threads it
 * creates from {@code main} get the daemon status, priority and group they would get from the JVM's main thread
 * ({@link ThreadInheritance}).
 *
 * <p>Usage (built by {@code dev.weft.cli.RunCommand}): {@code RunMain [--timeout-ns N] [--grace-ns G] MAIN [ARGS...]}.
 */
public final class RunMain {
    private RunMain() {}

    /** The status when the program did not stop within its deadline plus the grace (the cli's ExitStatus.STUCK). */
    static final int EXIT_STUCK = 125;

    /**
     * After the grace, how long the cancellation is delivered hard (at every check, interrupts again and again)
     * before the threads still running are printed and the JVM halts: "a few seconds".
     */
    static final long HARD_WINDOW_NS = 2_000_000_000L;

    /**
     * Set by {@code weft run} on the run that trains the JDK's AOT cache ({@code -XX:AOTCacheOutput}): that run does
     * not retransform {@code java.lang.Thread} ({@link ThreadInheritance}), because the JVM's archive builder crashes
     * on a retransformed class of its own (a SIGSEGV in {@code SystemDictionaryShared::serialize_vm_classes}, JDK
     * 25.0.3). Threads the program creates in that one run are daemons in the {@code VirtualThreads} group.
     */
    public static final String AOT_TRAINING_PROPERTY = "weft.aot.training";

    public static void main(String[] args) throws Throwable {
        int i = 0;
        Weft.Options options = Weft.options().name("main");
        long timeoutNs = -1;
        long graceNs = 0;
        while (i + 1 < args.length && args[i].startsWith("--")) {
            switch (args[i]) {
                case "--timeout-ns" -> {
                    timeoutNs = Long.parseLong(args[i + 1]);
                    options.timeout(Duration.ofNanos(timeoutNs));
                }
                case "--grace-ns" -> graceNs = Long.parseLong(args[i + 1]);
                default -> {
                    System.err.println("weft run: unknown launcher option " + args[i]);
                    System.exit(2);
                }
            }
            i += 2;
        }
        if (i >= args.length) {
            System.err.println("weft run: no main class given");
            System.exit(2);
        }
        String mainClass = args[i];
        String[] programArgs = Arrays.copyOfRange(args, i + 1, args.length);
        MethodHandle main = findMain(mainClass);
        long startNs = System.nanoTime();
        long graceMs = graceNs / 1_000_000;
        ProgramCancel.install(graceNs, HARD_WINDOW_NS, () -> {
            try {
                System.err.print(StuckReport.render(graceMs));
                System.err.flush();
            } finally {
                Runtime.getRuntime().halt(EXIT_STUCK);
            }
        });
        if (!Boolean.getBoolean(AOT_TRAINING_PROPERTY)) {
            ThreadInheritance.fromLauncher(Thread.currentThread());
        }
        quietCancelledThreads();
        // like Weft.exitStatus, plus status 122 and a report after a memory error
        int status = SoftLimitRun.exitStatus(() -> Weft.run(options, () -> {
            runProgram(main, programArgs);
            return null;
        }));
        if (ProgramCancel.cancelled()) {
            ProgramCancel.drain(); // the program's own threads run their cleanup; the grace's clock bounds this
        }
        if (timeoutNs >= 0 && (status == 0 || status == Weft.EXIT_FAILED) && System.nanoTime() - startNs >= timeoutNs) {
            // the deadline fired, and the program caught the cancellation at its top or returned anyway
            System.err.println("weft: the program's deadline passed" + (status == 0 ? "; it returned after it"
                    : "; its cleanup then failed (above)"));
            status = Weft.EXIT_TIMEOUT;
        }
        System.exit(status);
    }

    /**
     * The first {@code OutOfMemoryError} that ended a thread of the program's own (not a Weft task), or null. Written
     * once by that thread's uncaught-exception handler; read by the root task.
     */
    private static volatile OutOfMemoryError programThreadOom;

    /**
     * A thread of the program's that ends with the program's cancellation has done what was asked of it: no
     * "Exception in thread" trace for it. An {@code OutOfMemoryError} that ends one (a platform thread, a pool
     * worker, a virtual thread the program started) ends the program as one in {@code main} would: the program is
     * cancelled, its cleanup runs, and the root fails with that error (status 122 and the report under
     * {@code --soft-limit}). Any other uncaught exception is printed as the JVM prints it, and a handler the program
     * installs itself replaces this one.
     */
    private static void quietCancelledThreads() {
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (e instanceof Cancelled && ProgramCancel.cancelled()) {
                return;
            }
            System.err.print("Exception in thread \"" + t.getName() + "\" "); // as ThreadGroup does without one
            e.printStackTrace(System.err);
            if (e instanceof OutOfMemoryError oom && ProgramCancel.isProgramThread(t) && programThreadOom == null) {
                SoftLimitRun.programThreadRanOutOfMemory(t, oom); // the report names this thread, not the root
                programThreadOom = oom;
                ProgramCancel.cancel(CancelReason.MEMORY);
            }
        });
    }

    /**
     * The root task's body: the program's {@code main}, then, as the JVM does, a wait for the non-daemon threads it
     * started (a failure of {@code main} is thrown after them, as the JVM reports it and exits 1 after them).
     */
    private static void runProgram(MethodHandle main, String[] programArgs) throws Throwable {
        Throwable failure = null;
        try {
            if (main.type().parameterCount() == 0) {
                main.invoke();
            } else {
                main.invoke(programArgs);
            }
        } catch (Throwable t) {
            if (ProgramCancel.cancelled()) {
                throw withThreadOom(t); // cancelled (or the cleanup failed): the launcher drains the program's threads
            }
            failure = t;
        }
        try {
            ProgramCancel.awaitNonDaemonThreads(); // interrupted when the program is cancelled meanwhile
        } catch (InterruptedException | Cancelled e) {
            throw withThreadOom(e);
        }
        if (failure != null) {
            throw failure;
        }
        if (programThreadOom != null) {
            throw programThreadOom; // a thread of the program's ran out of memory after main returned
        }
    }

    /**
     * {@code t}, or the program thread's OutOfMemoryError that caused the cancellation (not given {@code t} as
     * suppressed: the JVM may share one preallocated error between threads).
     */
    private static Throwable withThreadOom(Throwable t) {
        OutOfMemoryError oom = programThreadOom;
        return oom == null ? t : oom;
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
