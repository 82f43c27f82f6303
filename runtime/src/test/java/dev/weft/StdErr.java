package dev.weft;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What a test expects Weft to print on standard error, captured instead of printed, so that the build log shows only
 * what went wrong. {@code System.err} is process-wide: the tests of a fork run one at a time, so while the action
 * runs every line written to it (from any thread: a cleaner's report too) is the action's.
 */
public final class StdErr {
    private StdErr() {}

    /** Runs {@code action} with {@code System.err} captured, and returns what was written to it. */
    public static <X extends Throwable> String capture(ThrowingRunnable<X> action) throws X {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
