package dev.weft.abi;

import dev.weft.internal.cancel.AgentChecks;

/**
 * The contract between the Weft agent and the runtime: the static methods the agent compiles into application
 * bytecode. Not for application code (call {@link dev.weft.Cancellation#checkpoint()}); the agent emits exactly
 * these owners, names and descriptors, and a test in the agent's build checks every call it emits against this
 * class.
 *
 * {@snippet :
 * // what the agent makes of a loop in a class it compiles, written as Java
 * while (running) {
 *     work();
 *     AgentHooks.poll();          // the back-edge check: one volatile read while nothing is cancelled
 * }
 * synchronized (lock) {
 *     AgentHooks.monitorEntered(); // no check throws while the monitor is held
 *     update();
 *     AgentHooks.monitorExited();
 * }
 * }
 *
 * <table class="striped">
 *   <caption>The ABI</caption>
 *   <tr><th>member</th><th>descriptor</th><th>emitted</th></tr>
 *   <tr><td>{@link #poll()}</td><td>{@code ()V}</td><td>at loop back-edges and (policy {@code entry}) method
 *       entries</td></tr>
 *   <tr><td>{@link #monitorEntered()}</td><td>{@code ()V}</td><td>after each {@code monitorenter}, at the entry of
 *       each {@code synchronized} method</td></tr>
 *   <tr><td>{@link #monitorExited()}</td><td>{@code ()V}</td><td>before each {@code monitorexit}, on every exit of a
 *       {@code synchronized} method</td></tr>
 *   <tr><td>{@code dev.weft.internal.cancel.PendingCancels.count}</td><td>{@code I}</td><td>read inline before
 *       {@code poll()} by the {@code hook=inline} style only (class path only)</td></tr>
 * </table>
 *
 * <h2>Thread safety</h2>
 * Each method acts on the current thread's task and does nothing on a thread that is not a Weft task.
 */
public final class AgentHooks {
    private AgentHooks() {}

    /**
     * The compiled check. Fast path: one read of a {@code static volatile} counter that is non-zero only while some
     * cancel scope in the process is cancelled; no allocation, small enough to inline. Slow path: if the current
     * thread is a Weft task inside a cancelled scope (not shielded), throws its {@link dev.weft.Cancelled}, unless the
     * task holds a monitor (one the agent counted, or one taken by code the agent did not compile, found by a stack
     * walk just before the throw); then the cancel waits for the first check outside.
     */
    public static void poll() {
        AgentChecks.poll();
    }

    /** Counts a monitor the current task now holds: until the matching {@link #monitorExited()} no check throws. */
    public static void monitorEntered() {
        AgentChecks.monitorEntered();
    }

    /** Counts a monitor the current task is about to release. */
    public static void monitorExited() {
        AgentChecks.monitorExited();
    }
}
