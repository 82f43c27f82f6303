package dev.weft;

/**
 * A place where tasks run: one of the runtime's loops (one carrier thread, many tasks), or the opt-in
 * work-stealing pool.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=loops}
 *
 * <p>Tasks on one loop never run in parallel with each other: code that shares state only among tasks of
 * one loop needs no locks (it still needs them across cancellation points if invariants span them).
 *
 * <h2>Thread safety</h2>
 * Immutable handle; safe from any thread.
 */
public sealed interface Loop permits LoopImpl {
    /** The loop's name (also its carrier thread's name). */
    String name();

    /** The loop's index in {@link Weft#loops()}, or -1 for the stealing pool. */
    int index();

    /** Whether this is the work-stealing pool. */
    boolean isStealing();
}
