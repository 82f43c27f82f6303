package example.agent;

import dev.weft.Uncancellable;
import java.util.List;

/** Fixtures for the agent's recursion rule: methods recursive within this class, and some that are not. */
public class Recursive implements Counter {
    public static volatile boolean stop;

    /** Built by a self-recursive constructor: the entry check comes before the call of the super constructor. */
    public final Recursive child;

    public Recursive() {
        child = null;
    }

    public Recursive(int depth) {
        child = depth > 0 ? new Recursive(depth - 1) : null;
    }

    /** Self-recursive, no loop: under the default policy only an entry check can stop it. */
    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /** Mutually recursive with {@link #pong}. */
    public static long ping(int n) {
        return n < 2 ? n : pong(n - 1) + pong(n - 2);
    }

    public static long pong(int n) {
        return n < 2 ? n : ping(n - 1) + ping(n - 2);
    }

    /** Calls {@link #fib} but is not on a cycle: no entry check. */
    public static long callsFib(int n) {
        return fib(n) + 1;
    }

    /** Self-recursive through a virtual call. */
    public int depth(int n) {
        return n == 0 ? 0 : 1 + depth(n - 1);
    }

    /** Self-recursive through the interface it implements, as code that calls itself through {@code self} is. */
    @Override
    public long count(int n) {
        Counter self = this;
        return n == 0 ? 0 : 1 + self.count(n - 1);
    }

    /** Recursive but synchronized: never checked (the monitor rule). */
    public static synchronized long synchronizedFib(int n) {
        return n < 2 ? n : synchronizedFib(n - 1) + synchronizedFib(n - 2);
    }

    /** Recursive but annotated: never checked. */
    @Uncancellable
    public static long uncancellableFib(int n) {
        return n < 2 ? n : uncancellableFib(n - 1) + uncancellableFib(n - 2);
    }

    /**
     * A worker that catches everything and restarts itself by recursion: the loop's check throws, the handler
     * restarts, and the restarted call's entry check throws again, out of the handler.
     */
    public static long restartOnAnyFailure(List<String> trace) {
        try {
            long x = 0;
            while (!stop) {
                x++;
            }
            return x;
        } catch (Throwable t) {
            trace.add("restart after " + t.getClass().getSimpleName());
            return restartOnAnyFailure(trace);
        }
    }
}
