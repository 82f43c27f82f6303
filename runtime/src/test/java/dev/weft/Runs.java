package dev.weft;

/** Test helpers: small runtimes with SIGINT left alone. */
final class Runs {
    private Runs() {}

    /** One loop: tasks interleave only at waits, in FIFO order — deterministic. */
    static <T, X extends Throwable> T oneLoop(ThrowingCallable<T, X> main) throws X {
        return Weft.run(Weft.options().loops(1).handleSigint(false), main);
    }

    static <T, X extends Throwable> T oneLoop(VirtualClock clock, ThrowingCallable<T, X> main) throws X {
        return Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false), main);
    }

    static <T, X extends Throwable> T loops(int n, ThrowingCallable<T, X> main) throws X {
        return Weft.run(Weft.options().loops(n).handleSigint(false), main);
    }

    static <X extends Throwable> void oneLoop(ThrowingRunnable<X> main) throws X {
        Weft.run(Weft.options().loops(1).handleSigint(false), main);
    }

    static <X extends Throwable> void oneLoop(VirtualClock clock, ThrowingRunnable<X> main) throws X {
        Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false), main);
    }

    static <X extends Throwable> void loops(int n, ThrowingRunnable<X> main) throws X {
        Weft.run(Weft.options().loops(n).handleSigint(false), main);
    }
}
