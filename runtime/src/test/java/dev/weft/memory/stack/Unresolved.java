package dev.weft.memory.stack;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;

/** Fixtures the analysis cannot bound, one reason each, and two small ones it bounds exactly. */
public final class Unresolved {
    private Unresolved() {}

    /** A recursion without a declared depth. */
    public static long fact(long n) {
        return n <= 1 ? 1 : n * fact(n - 1);
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

    /** A leaf: one frame. */
    public static long leaf(long a, long b) {
        return a + b;
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
