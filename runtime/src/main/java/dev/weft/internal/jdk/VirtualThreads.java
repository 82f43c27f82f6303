package dev.weft.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;

/**
 * The one place where Weft touches non-public JDK hooks.
 *
 * <p>Things that don't work: the JDK has no public API to choose a virtual thread's scheduler
 * (JDK 25); {@code Thread.ofVirtual()} always uses the shared ForkJoinPool. Solution: the
 * package-private constructor {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)}, which the
 * JDK keeps for its own tests, reached through reflection. That needs {@code java.lang} opened to Weft:
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED} (class path) or {@code =dev.weft} (module path).
 * The {@code ./weft} launcher and the build pass it; {@link #check()} fails at startup with that advice
 * when it is missing.
 *
 * <p>Also here: reading a virtual thread's continuation runnable (so a loop can tell its own tasks from
 * virtual threads that merely inherited the scheduler) and the SIGINT hook ({@link Signals}).
 */
public final class VirtualThreads {
    private VirtualThreads() {}

    /** The JVM flag that enables the hooks. */
    public static final String REQUIRED_FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";

    private static final MethodHandle NEW_BUILDER; // (Executor)Thread.Builder.OfVirtual, or null
    private static final MethodHandle NEW_THREAD; // VirtualThread(Executor, String, int, Runnable), or null
    private static final VarHandle RUN_CONTINUATION; // VirtualThread.runContinuation, or null
    private static final VarHandle SCHEDULER; // VirtualThread.scheduler, or null
    private static final Throwable FAILURE; // why the hooks are missing, or null

    static {
        MethodHandle newBuilder = null;
        MethodHandle newThread = null;
        VarHandle runCont = null;
        VarHandle sched = null;
        Throwable failure = null;
        try {
            Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            var ctor = builderClass.getDeclaredConstructor(Executor.class);
            ctor.setAccessible(true);
            newBuilder = MethodHandles.lookup().unreflectConstructor(ctor)
                    .asType(MethodType.methodType(Thread.Builder.OfVirtual.class, Executor.class));
            Class<?> vtClass = Class.forName("java.lang.VirtualThread");
            try {
                var vtCtor = vtClass.getDeclaredConstructor(Executor.class, String.class, int.class, Runnable.class);
                vtCtor.setAccessible(true);
                newThread = MethodHandles.lookup().unreflectConstructor(vtCtor).asType(MethodType.methodType(
                        Thread.class, Executor.class, String.class, int.class, Runnable.class));
            } catch (NoSuchMethodException e) {
                newThread = null; // optional: the builder works too, with one more allocation per thread
            }
            var field = vtClass.getDeclaredField("runContinuation");
            field.setAccessible(true);
            runCont = MethodHandles.privateLookupIn(vtClass, MethodHandles.lookup()).unreflectVarHandle(field);
            var schedField = vtClass.getDeclaredField("scheduler");
            schedField.setAccessible(true);
            sched = MethodHandles.privateLookupIn(vtClass, MethodHandles.lookup()).unreflectVarHandle(schedField);
        } catch (Throwable t) {
            failure = t;
            newBuilder = null;
            runCont = null;
            sched = null;
        }
        NEW_BUILDER = newBuilder;
        NEW_THREAD = newThread;
        RUN_CONTINUATION = runCont;
        SCHEDULER = sched;
        FAILURE = failure;
    }

    /** Whether the hooks are usable in this JVM. */
    public static boolean available() {
        return FAILURE == null;
    }

    /**
     * Fails with advice if the hooks are missing.
     *
     * @throws IllegalStateException naming the JVM flag to add
     */
    public static void check() {
        if (FAILURE != null) {
            throw new IllegalStateException(
                    "Weft cannot set the scheduler of its virtual threads: " + FAILURE
                            + ". Start the JVM with " + REQUIRED_FLAG
                            + " (or --add-opens java.base/java.lang=dev.weft on the module path); the ./weft launcher"
                            + " and Weft's Maven build add it for you. Weft needs JDK 25 or later.",
                    FAILURE);
        }
    }

    /** A virtual-thread builder whose threads run their continuations on {@code scheduler}. */
    public static Thread.Builder.OfVirtual builder(Executor scheduler) {
        check();
        try {
            return (Thread.Builder.OfVirtual) NEW_BUILDER.invokeExact(scheduler);
        } catch (Throwable t) {
            throw new IllegalStateException("VirtualThreadBuilder(Executor) failed", t);
        }
    }

    /**
     * The scheduler of the current thread if it is a virtual thread, else null. One field read: this is
     * how a Weft task finds itself (its scheduler is its task object), without a ThreadLocal map per task.
     */
    public static Object currentScheduler() {
        Thread t = Thread.currentThread();
        if (!t.isVirtual() || SCHEDULER == null) {
            return null;
        }
        return SCHEDULER.get(t);
    }

    /**
     * Whether {@code t} carries the JDK default scheduler's virtual threads (a {@code jdk.internal.misc.CarrierThread}):
     * its allocation counter counts what those virtual threads allocated on it. Any thread.
     */
    public static boolean isDefaultSchedulerCarrier(Thread t) {
        return t.getClass().getName().equals("jdk.internal.misc.CarrierThread");
    }

    /** The scheduler of {@code t} if it is a virtual thread, else null. Any thread. */
    public static Object schedulerOf(Thread t) {
        if (!t.isVirtual() || SCHEDULER == null) {
            return null;
        }
        return SCHEDULER.get(t);
    }

    /**
     * An unstarted virtual thread named {@code name} (or unnamed if null) that runs {@code task} and whose
     * continuations {@code scheduler} runs. Inherits inheritable thread locals, like the builder's default.
     */
    public static Thread newThread(Executor scheduler, String name, Runnable task) {
        check();
        if (NEW_THREAD != null) {
            try {
                return (Thread) NEW_THREAD.invokeExact(scheduler, name, 0, task);
            } catch (Throwable t) {
                throw new IllegalStateException("VirtualThread(Executor, String, int, Runnable) failed", t);
            }
        }
        Thread.Builder.OfVirtual b = builder(scheduler);
        return (name == null ? b : b.name(name)).unstarted(task);
    }

    /**
     * The JDK's own virtual-thread scheduler, where virtual threads that inherited a Weft task as their
     * scheduler (the program's own, the JDK's I/O pollers) run instead.
     */
    public static Executor defaultScheduler() {
        return DefaultScheduler.INSTANCE;
    }

    private static final class DefaultScheduler {
        static final Executor INSTANCE = find();

        private static Executor find() {
            try {
                var f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
                f.setAccessible(true);
                return (Executor) f.get(null);
            } catch (Throwable t) {
                // another JDK: read the scheduler of a virtual thread started from a platform thread
                Thread probe = Thread.ofVirtual().unstarted(() -> {});
                Object s = SCHEDULER == null ? null : SCHEDULER.get(probe);
                if (s instanceof Executor e) {
                    return e;
                }
                throw new IllegalStateException("cannot find the JDK's virtual-thread scheduler: " + t, t);
            }
        }
    }

    /** The runnable the JDK submits to the scheduler each time {@code vthread} is scheduled. */
    public static Runnable runContinuation(Thread vthread) {
        check();
        return (Runnable) RUN_CONTINUATION.get(vthread);
    }
}
