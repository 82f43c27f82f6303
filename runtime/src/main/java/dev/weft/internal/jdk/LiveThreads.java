package dev.weft.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every live thread of the process, virtual ones included, through the JDK's thread containers
 * ({@code jdk.internal.vm.ThreadContainers}, reached with {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED},
 * which {@code weft run} passes), feature-detected.
 *
 * <p>Why: {@code weft run} cancels the whole program, not only {@code main}, so it must find the threads the program
 * started. Things that don't work: {@code Thread.getAllStackTraces()} lists platform threads only, and a virtual thread
 * started with {@code Thread.ofVirtual()} or by {@code Executors.newVirtualThreadPerTaskExecutor()} appears in no
 * public list. Solution: the containers behind {@code jcmd Thread.dump_to_file}: the root container holds the platform
 * threads and every virtual thread the JDK tracks (all of them unless {@code -Djdk.trackAllThreads=false}), and each
 * executor and structured scope registers a child container with its own. Without the export, platform threads only.
 */
public final class LiveThreads {
    private LiveThreads() {}

    /** The JVM flag that makes virtual threads findable. */
    public static final String REQUIRED_FLAG = "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED";

    /** Containers visited per call at most: a bound on the walk (one container per executor or scope). */
    static final int CONTAINERS_MAX = 1 << 16;

    private static final MethodHandle ROOT; // () ThreadContainer, or null
    private static final MethodHandle THREADS; // (ThreadContainer) Stream<Thread>
    private static final MethodHandle CHILDREN; // (ThreadContainer) Stream<ThreadContainer>
    private static final String MISSING;

    static {
        MethodHandle root = null;
        MethodHandle threads = null;
        MethodHandle children = null;
        String missing = null;
        try {
            Class<?> containers = Class.forName("jdk.internal.vm.ThreadContainers");
            Class<?> container = Class.forName("jdk.internal.vm.ThreadContainer");
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            root = l.findStatic(containers, "root", MethodType.methodType(container))
                    .asType(MethodType.methodType(Object.class));
            threads = l.findVirtual(container, "threads", MethodType.methodType(Stream.class))
                    .asType(MethodType.methodType(Stream.class, Object.class));
            children = l.findVirtual(container, "children", MethodType.methodType(Stream.class))
                    .asType(MethodType.methodType(Stream.class, Object.class));
            Object r = root.invokeExact(); // fails here without the export
            if (r == null) {
                throw new IllegalStateException("no root thread container");
            }
        } catch (Throwable t) {
            root = null;
            missing = t.toString();
        }
        ROOT = root;
        THREADS = threads;
        CHILDREN = children;
        MISSING = missing;
    }

    /** Whether virtual threads are found too; if not, {@link #missing()} says why. */
    public static boolean complete() {
        return ROOT != null;
    }

    /** Why only platform threads are found, or null. */
    public static String missing() {
        return MISSING;
    }

    /** A snapshot of the live threads: platform threads, and virtual ones where {@link #complete()}. Any thread. */
    public static List<Thread> snapshot() {
        Set<Thread> out = new LinkedHashSet<>();
        if (ROOT == null) {
            out.addAll(Thread.getAllStackTraces().keySet());
        } else { // the root container's threads include every platform thread
            try {
                ArrayDeque<Object> todo = new ArrayDeque<>();
                todo.push(ROOT.invokeExact());
                for (int visited = 0; !todo.isEmpty() && visited < CONTAINERS_MAX; visited++) {
                    Object c = todo.pop();
                    try (Stream<?> s = (Stream<?>) THREADS.invokeExact(c)) {
                        for (Iterator<?> it = s.iterator(); it.hasNext(); ) {
                            out.add((Thread) it.next());
                        }
                    }
                    try (Stream<?> s = (Stream<?>) CHILDREN.invokeExact(c)) {
                        for (Iterator<?> it = s.iterator(); it.hasNext(); ) {
                            todo.push(it.next());
                        }
                    }
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("cannot walk the JDK's thread containers: " + t, t);
            }
        }
        List<Thread> live = new ArrayList<>(out.size());
        for (Thread t : out) {
            if (t.isAlive()) {
                live.add(t);
            }
        }
        return live;
    }

    /** Whether {@code t} is one of the JDK's own (an {@code InnocuousThread}, or in the system thread group). */
    public static boolean isJdkThread(Thread t) {
        if (t.isVirtual()) {
            return false;
        }
        if (t.getClass().getName().equals("jdk.internal.misc.InnocuousThread")) {
            return true;
        }
        ThreadGroup g = t.getThreadGroup();
        return g != null && g.getParent() == null; // "system": Reference Handler, Finalizer, Signal Dispatcher ...
    }

    /** Frames that mean "an idle pool worker, waiting for work" when they are near the top of a waiting thread. */
    private static final String[][] IDLE_FRAMES = {
        {"java.util.concurrent.ThreadPoolExecutor", "getTask"},
        {"java.util.concurrent.ForkJoinPool", "awaitWork"},
    };

    /** Frames searched from the top for {@link #IDLE_FRAMES}. */
    private static final int IDLE_DEPTH_MAX = 16;

    /**
     * Whether {@code t} is a JDK pool worker waiting for work (in {@code ThreadPoolExecutor.getTask} or a
     * {@code ForkJoinPool}'s idle wait): it runs none of the program's code, so nothing of the program is lost when
     * the JVM exits under it. Takes a stack trace: for shutdown, not hot paths.
     */
    public static boolean idleInPool(Thread t) {
        Thread.State s = t.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < st.length && i < IDLE_DEPTH_MAX; i++) {
            for (String[] f : IDLE_FRAMES) {
                if (st[i].getClassName().equals(f[0]) && st[i].getMethodName().equals(f[1])) {
                    return true;
                }
            }
        }
        return false;
    }
}
