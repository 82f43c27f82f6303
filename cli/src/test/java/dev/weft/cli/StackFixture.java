package dev.weft.cli;

/** Entries for {@code weft plan --stack} in {@link PlanCommandTest}. */
final class StackFixture {
    private StackFixture() {}

    static long handle(long x) {
        return step(x, x + 1) * 2;
    }

    static long step(long a, long b) {
        long c = a * b;
        return c + a;
    }

    static long walk(long n) {
        return n <= 0 ? 0 : 1 + walk(n - 1);
    }
}
