package dev.weft;

import dev.weft.internal.cancel.PendingCancels;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After every test in this module (auto-registered): no cancelled scope is still counted, and no Weft
 * loop or timer thread outlived its runtime. Catches leaked scopes and unjoined runtimes.
 */
@SuppressWarnings("exports") // JUnit's types on a test class of the patched module: tests only, never exported
public final class WeftLeakCheck implements AfterEachCallback {
    /** For JUnit's service loader. */
    public WeftLeakCheck() {}

    @Override
    public void afterEach(ExtensionContext context) {
        int pending = PendingCancels.count;
        if (pending != 0) {
            throw new AssertionError("leak after " + context.getDisplayName() + ": " + pending
                    + " cancelled scope(s) still counted as entered");
        }
        List<String> live = Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.matches(".*-loop-\\d+") || n.endsWith("-timer"))
                .toList();
        if (!live.isEmpty()) {
            throw new AssertionError("leak after " + context.getDisplayName() + ": runtime threads still alive: " + live);
        }
    }
}
