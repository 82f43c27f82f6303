package dev.weft.internal.softlimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.WatchdogStatistics;
import org.junit.jupiter.api.Test;

/**
 * The report of {@code weft run --soft-limit} when a thread the program started ran out of memory: the root task
 * rethrew that thread's error (and so failed with it, contained), but the report names the thread, with what its own
 * allocation counter says for a platform thread, not the root task.
 */
class ProgramThreadReportTest {
    private static final long MIB = 1 << 20;
    private static final WatchdogStatistics STATS = new WatchdogStatistics(32 * MIB, 4 * MIB, 3 * MIB, false,
            94 * MIB, 94 * MIB, 2, 0, 1, 1, null, 95 * MIB, 2, 0, "G1");
    private static final SoftLimitRun.ProcessMemory PROCESS = new SoftLimitRun.ProcessMemory(0, 32 * MIB, 0,
            "133.4 MiB (peak 133.4 MiB)");

    @Test
    void platformThreadIsNamedWithItsOwnAllocationInsteadOfTheRootTask() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        MemoryLimitError rootsError = new MemoryLimitError(MemoryLimitError.Kind.OUT_OF_MEMORY, "heap", 32 * MIB,
                4 * MIB, 0, 94 * MIB, "main", null, oom);
        String r = SoftLimitRun.report(rootsError, rootsError, STATS, PROCESS,
                new SoftLimitRun.ProgramThreadOom("hog", false, 43 * MIB, oom));
        assertThat(r).startsWith("weft: memory limit: thread 'hog' (a platform thread the program started; it"
                + " allocated 43.0 MiB over its life) ran out of Java heap").doesNotContain("task 'main'")
                .contains("Whether the thread's cleanup completed is not known", "status 122",
                        "Details: java.lang.OutOfMemoryError: Java heap space");
    }

    @Test
    void virtualThreadIsNamedAndItsAllocationSaidToBeUncounted() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        MemoryLimitError rootsError = new MemoryLimitError(MemoryLimitError.Kind.OUT_OF_MEMORY, "heap", 32 * MIB,
                4 * MIB, 0, 94 * MIB, "main", null, oom);
        String r = SoftLimitRun.report(rootsError, rootsError, STATS, PROCESS,
                new SoftLimitRun.ProgramThreadOom("worker-7", true, -1, oom));
        assertThat(r).contains("thread 'worker-7' (a virtual thread the program started; the JDK counts no allocation"
                + " per virtual thread)").doesNotContain("task 'main'");
    }

    @Test
    void anotherTasksOwnErrorIsStillReportedAsThatTasks() {
        OutOfMemoryError threads = new OutOfMemoryError("Java heap space");
        OutOfMemoryError tasks = new OutOfMemoryError("Java heap space");
        MemoryLimitError e = new MemoryLimitError(MemoryLimitError.Kind.OUT_OF_MEMORY, "heap", 32 * MIB, 4 * MIB, 0,
                94 * MIB, "hog-task", null, tasks);
        String r = SoftLimitRun.report(e, e, STATS, PROCESS, new SoftLimitRun.ProgramThreadOom("hog", false, 1, threads));
        assertThat(r).startsWith("weft: memory limit: task 'hog-task' ran out of Java heap").doesNotContain("thread 'hog'");
    }

    @Test
    void aBlamedCarrierOfTheJdksVirtualThreadsIsNamedAsSuchNotAsAThreadTheProgramStarted() {
        // a virtual thread the program started filled the heap: the carrier's counter counted it
        String r = SoftLimitRun.report(null, new SoftLimitRun.ProgramThreadBlame("ForkJoinPool-1-worker-1", 13 * MIB,
                69 * MIB, true), STATS, PROCESS);
        assertThat(r).startsWith("weft: memory limit: thread 'ForkJoinPool-1-worker-1' (a carrier of the JDK's"
                + " scheduler for the virtual threads the program started, whose allocation it counts; it allocated"
                + " 13.0 MiB").doesNotContain("a platform thread the program started");
    }

    @Test
    void aSecondThreadThatAllocatedAsMuchAsABlameNeedsIsNamedBecauseCountersDoNotMeasureWhatIsKept() {
        // a churning thread allocated more than the one that keeps the memory: both past the bar of a blame
        String both = SoftLimitRun.report(null, new SoftLimitRun.ProgramThreadBlame("churner", 40 * MIB, 100 * MIB,
                false, "holder", 12 * MIB), STATS, PROCESS);
        assertThat(both).startsWith("weft: memory limit: thread 'churner'").contains("; thread 'holder' allocated"
                + " 12.0 MiB in the same window: the counters measure allocation, not what each thread keeps, so the"
                + " memory may be held by either");
        String alone = SoftLimitRun.report(null, new SoftLimitRun.ProgramThreadBlame("hog", 40 * MIB, 100 * MIB,
                false), STATS, PROCESS);
        assertThat(alone).doesNotContain("same window", "may be held by either");
    }

    @Test
    void aBlamedThreadsReportClaimsTheProgramsCleanupCompletedOnlyWhenTheProgramReturned() {
        SoftLimitRun.ProgramThreadBlame hog = new SoftLimitRun.ProgramThreadBlame("hog", 20 * MIB, 90 * MIB, false);
        // main's finally threw (or was cancelled again at a join there): its cleanup may not have completed
        String cut = SoftLimitRun.report(new IllegalStateException("cleanup failed"), hog, STATS, PROCESS);
        assertThat(cut).doesNotContain("cleanup ran", "cleanup completed:").contains("Whether the program's cleanup"
                + " completed is not known (it ended with java.lang.IllegalStateException: cleanup failed)");
        String returned = SoftLimitRun.report(null, hog, STATS, PROCESS);
        assertThat(returned).contains("The program's cleanup completed: it returned after the cancellation.");
    }

    @Test
    void anOutOfMemoryErrorHandedOnByAPoolsFutureIsReportedAsTheProgramsFailureNotAnUnknownTasks() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        // main called Future.get() on a pool's task that ran out of heap: the pool's thread caught the error
        String r = SoftLimitRun.report(new java.util.concurrent.ExecutionException(oom), null, STATS, PROCESS, null);
        assertThat(r).startsWith("weft: memory limit: the program failed with java.util.concurrent.ExecutionException"
                + " caused by an OutOfMemoryError: it ran out of Java heap in a thread that handed the error on")
                .doesNotContain("an unknown task").contains("status 122");
    }
}
