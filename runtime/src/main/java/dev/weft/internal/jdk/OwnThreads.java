package dev.weft.internal.jdk;

/**
 * Weft's own platform threads (loop carriers, the timer, the blocking pool, the heap watchdog, {@code weft run}'s
 * bound), all in one thread group, {@value #GROUP_NAME}: a thread dump shows them apart, and a cancellation of the
 * whole program ({@code weft run}) never touches them.
 */
public final class OwnThreads {
    private OwnThreads() {}

    /** The group's name, as thread dumps show it. */
    public static final String GROUP_NAME = "weft";

    private static final ThreadGroup GROUP = new ThreadGroup(systemGroup(), GROUP_NAME);

    private static ThreadGroup systemGroup() {
        ThreadGroup g = Thread.currentThread().getThreadGroup();
        while (g.getParent() != null && g.getParent().getParent() != null) {
            g = g.getParent(); // the "main" group: the system group's child, whatever thread loads this class
        }
        return g;
    }

    /** A builder for a daemon platform thread of Weft's own named {@code name}. */
    public static Thread.Builder.OfPlatform daemon(String name) {
        return Thread.ofPlatform().group(GROUP).name(name).daemon(true);
    }

    /** Whether {@code t} is one of Weft's own platform threads. */
    public static boolean isOwn(Thread t) {
        return !t.isVirtual() && t.getThreadGroup() == GROUP;
    }
}
