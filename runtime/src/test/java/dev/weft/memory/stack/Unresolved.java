package dev.weft.memory.stack;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;

/**
 * Fixtures the analysis cannot bound, one reason each, and small ones it bounds exactly. The bounded ones park
 * ({@link Probe#here()}) or lock: a call that returns before any freeze never has its frames on the heap.
 */
public final class Unresolved {
    private Unresolved() {}

    /** A recursion without a declared depth. */
    public static long fact(long n) {
        if (n <= 1) {
            Probe.here();
            return 1;
        }
        return n * fact(n - 1);
    }

    /** A reflective call. */
    public static Object reflective(Method m) throws Exception {
        return m.invoke(null, 1L, 2L);
    }

    /** A method handle call. */
    public static long handle(MethodHandle h) throws Throwable {
        return (long) h.invokeExact(1L, 2L);
    }

    /** String concatenation with an object argument (its toString through method handles). */
    public static String concat(Object o) {
        return "value: " + o;
    }

    /** String concatenation of strings and primitives only: runs no code that can park. */
    public static String plainConcat(String s, int i) {
        return s + i;
    }

    /** A class of a JDK module outside the default universe (java.base). */
    public static long otherModule() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /** A leaf: one frame, and a checkpoint. */
    public static long leaf(long a, long b) {
        Probe.here();
        return a + b;
    }

    /** Computes and returns: no call of it can freeze, so its frames are never on the heap. */
    public static long pure(long a) {
        return Math.abs(a) + Long.hashCode(a) + Math.floorMod(a, 7L);
    }

    /** Can freeze only blocked on its monitor: its own frame, with the monitor's slot. */
    public static synchronized long locked(long a) {
        return pure(a) + 1;
    }

    /** Three frames: chainA, chainB, leaf. */
    public static long chainA(int x) {
        long y = x * 2L;
        return chainB(y) + 1;
    }

    static long chainB(long y) {
        long z = y + 1;
        return leaf(y, z);
    }
}
