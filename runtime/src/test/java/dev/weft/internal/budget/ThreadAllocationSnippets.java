package dev.weft.internal.budget;

/** The example of {@link ThreadAllocation}'s class comment, compiled with the tests. */
@SuppressWarnings("unused")
final class ThreadAllocationSnippets {
    private ThreadAllocationSnippets() {}

    static ThreadAllocation.Top use(ThreadAllocation.Candidates candidates) {
        // @start region=use
        ThreadAllocation.blameThreads(candidates);     // weft run: the program's own platform threads, and how to blame one
        ThreadAllocation.closeWindow();                // the watchdog, with TaskAllocation.closeWindow()
        ThreadAllocation.Top top = ThreadAllocation.leader();
        // @end
        return top;
    }
}
