package dev.weft.abi;

import dev.weft.internal.cancel.AgentChecks;
import java.lang.invoke.MethodHandles;

/**
 * The contract between the Weft agent and the runtime: the static methods the agent compiles into application
 * bytecode. Not for application code (call {@link dev.weft.Cancellation#checkpoint()}); the agent emits exactly
 * these owners, names and descriptors, and a test in the agent's build checks every call it emits against this
 * class.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=agent-loop}
 *
 * <table class="striped">
 *   <caption>The ABI</caption>
 *   <tr><th>member</th><th>descriptor</th><th>emitted</th></tr>
 *   <tr><td>{@link #poll()}</td><td>{@code ()V}</td><td>at loop back-edges, at the entry of methods recursive
 *       within their class, and (policy {@code entry}) at every method entry</td></tr>
 *   <tr><td>{@link #monitorEntered()}</td><td>{@code ()V}</td><td>after each {@code monitorenter}, at the entry of
 *       each {@code synchronized} method</td></tr>
 *   <tr><td>{@link #monitorExited()}</td><td>{@code ()V}</td><td>before each {@code monitorexit}, on every exit of a
 *       {@code synchronized} method</td></tr>
 *   <tr><td>{@link #defineHiddenClass}</td><td>{@code (Ljava/lang/invoke/MethodHandles$Lookup;[BZ}
 *       {@code [Ljava/lang/invoke/MethodHandles$Lookup$ClassOption;)Ljava/lang/invoke/MethodHandles$Lookup;}</td>
 *       <td>in place of each {@code invokevirtual MethodHandles$Lookup.defineHiddenClass} of a transformed
 *       class</td></tr>
 *   <tr><td>{@link #defineHiddenClassWithClassData}</td><td>{@code (Ljava/lang/invoke/MethodHandles$Lookup;[B}
 *       {@code Ljava/lang/Object;Z[Ljava/lang/invoke/MethodHandles$Lookup$ClassOption;)}
 *       {@code Ljava/lang/invoke/MethodHandles$Lookup;}</td><td>in place of each {@code invokevirtual
 *       MethodHandles$Lookup.defineHiddenClassWithClassData}</td></tr>
 *   <tr><td>{@code dev.weft.internal.cancel.PendingCancels.count}</td><td>{@code I}</td><td>read inline before
 *       {@code poll()} by the {@code hook=inline} style only (class path only)</td></tr>
 * </table>
 *
 * <h2>Thread safety</h2>
 * The check and the monitor counts act on the current thread's task and do nothing on a thread that is not a Weft
 * task; the hidden-class definitions work on any thread.
 */
public final class AgentHooks {
    private AgentHooks() {}

    /**
     * The compiled check. Fast path: one read of a {@code static volatile} counter that is non-zero only while some
     * cancel scope in the process is cancelled; no allocation, small enough to inline. While it is non-zero, the
     * current task's own flag, set only while a cancel may be visible to that task, decides whether to go on. Slow
     * path: if the current
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

    /**
     * {@code lookup.defineHiddenClass(bytes, initialize, options)}, from the bytes with checks compiled in (the JVM
     * never shows hidden classes to the agent's class-file transformer, so the agent compiles them at the call).
     * Defines through the same lookup, so access, nest and the exceptions thrown are those of the original call.
     */
    public static MethodHandles.Lookup defineHiddenClass(MethodHandles.Lookup lookup, byte[] bytes, boolean initialize,
            MethodHandles.Lookup.ClassOption... options) throws IllegalAccessException {
        return lookup.defineHiddenClass(AgentChecks.hiddenClassBytes(lookup, bytes), initialize, options);
    }

    /** {@link #defineHiddenClass}, for {@code lookup.defineHiddenClassWithClassData(bytes, data, initialize, options)}. */
    public static MethodHandles.Lookup defineHiddenClassWithClassData(MethodHandles.Lookup lookup, byte[] bytes,
            Object data, boolean initialize, MethodHandles.Lookup.ClassOption... options) throws IllegalAccessException {
        return lookup.defineHiddenClassWithClassData(AgentChecks.hiddenClassBytes(lookup, bytes), data, initialize,
                options);
    }
}
