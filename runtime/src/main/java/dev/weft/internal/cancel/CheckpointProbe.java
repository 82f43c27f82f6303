package dev.weft.internal.cancel;

/**
 * A test hook at every cancellation point: while a listener is installed, every checkpoint a task reaches (explicit
 * ones, every Weft wait, the agent's checks when they deliver) calls it first, on the task's thread, before the
 * cancel state is read. A listener may cancel a scope there, so a test can deliver a cancellation at exactly the
 * i-th cancellation point of a scenario (Zig's {@code checkAllAllocationFailures}, applied to cancellation).
 *
 * <p>Installing counts as one pending cancel for every task ({@link PendingCancels#incrementEveryTask}), which
 * sends every checkpoint to its slow path whatever its task's flag says; nothing is read on the fast path, so the hook costs nothing when unused. One listener at a time, for
 * tests; not for production.
 */
public final class CheckpointProbe {
    private CheckpointProbe() {}

    /** Called at each cancellation point. */
    @FunctionalInterface
    public interface Listener {
        void reached(WaitingTask task);
    }

    /** The installed listener, or null. Written by install/uninstall; read by checkpoints' slow path. */
    private static volatile Listener listener;

    /** Installs {@code l}; throws if one is installed already. */
    public static synchronized void install(Listener l) {
        if (listener != null) {
            throw new IllegalStateException("a checkpoint probe is installed already; uninstall it first");
        }
        listener = l;
        PendingCancels.incrementEveryTask();
    }

    /** Removes the listener. */
    public static synchronized void uninstall() {
        if (listener != null) {
            listener = null;
            PendingCancels.decrementEveryTask();
        }
    }

    /** From a checkpoint's slow path. */
    public static void reached(WaitingTask task) {
        task.slowChecks++; // the task's thread: the only writer
        if (task.gapWatch != null) {
            CheckpointGaps.reached(task);
        }
        Listener l = listener;
        if (l != null) {
            l.reached(task);
        }
    }
}
