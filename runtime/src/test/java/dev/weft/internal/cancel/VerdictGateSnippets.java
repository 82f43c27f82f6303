package dev.weft.internal.cancel;

/** The example of {@link VerdictGate}'s class comment, compiled with the tests. */
@SuppressWarnings("unused")
final class VerdictGateSnippets {
    private VerdictGateSnippets() {}

    private static void forceFullCollectionAndBlame() {}

    static void verdict(long candidateBytes) {
        // @start region=verdict
        // the watchdog's thread (dev.weft.internal.budget.HeapMonitor), estimate above the limit:
        VerdictGate.open(candidateBytes);   // from now on every compiled check takes the slow path
        try {
            forceFullCollectionAndBlame();  // the blamed task is cancelled: its wait ends at once, and it throws
        } finally {
            VerdictGate.close();            // the others go on
        }
        // @end
    }
}
