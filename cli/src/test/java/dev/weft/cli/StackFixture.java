package dev.weft.cli;

/**
 * Entries for {@code weft plan --stack} in {@link PlanCommandTest}; the leaves are synchronized, so that a virtual
 * thread can freeze in them (blocked on the monitor) and their frames count.
 */
final class StackFixture {
    private StackFixture() {}

    static long handle(long x) {
        return step(x, x + 1) * 2;
    }

    static synchronized long step(long a, long b) {
        long c = a * b;
        return c + a;
    }

    static synchronized long walk(long n) {
        return n <= 0 ? 0 : 1 + walk(n - 1);
    }
}
