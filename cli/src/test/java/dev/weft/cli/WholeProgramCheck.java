package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import example.cli.programs.CleanupProgram;
import example.cli.programs.EndlessCleanupProgram;
import example.cli.programs.FailingCleanupProgram;
import example.cli.programs.HeartbeatProgram;
import example.cli.programs.MemoryCleanupCutProgram;
import example.cli.programs.MemorySwallowingProgram;
import example.cli.programs.MostlyInsideMonitorProgram;
import example.cli.programs.NestedWeftProgram;
import example.cli.programs.NonDaemonProgram;
import example.cli.programs.OwnThreadsProgram;
import example.cli.programs.PoolProgram;
import example.cli.programs.ThreadHogProgram;
import example.cli.programs.ThreadOomProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft run} cancels the whole program, lets its cleanup complete, and otherwise behaves as a plain JVM: each
 * test runs an unmodified program (in {@code example.cli.programs}) the way a user does, in forked JVMs.
 */
class WholeProgramCheck {
    @TempDir
    Path dir;

    private WeftRunProcess.Outcome weftRun(String... args) throws IOException, InterruptedException {
        return WeftRunProcess.run(dir, args);
    }

    private static String cp(Class<?> c) {
        return WeftRunProcess.codeSource(c).toString();
    }

    @Test
    void aFixedPoolClosedByTryWithResourcesIsCancelledWithItsTasksAndEveryFinallyRuns() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "500ms", "--grace", "5s", "-cp", cp(PoolProgram.class),
                PoolProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        // close() absorbs the interrupt (it stops the tasks, waits for them, re-asserts the status): main returns
        assertThat(o.output()).contains("worker 0 finally ran", "worker 1 finally ran", "main finally ran")
                .doesNotContain("did not stop");
    }

    @Test
    void everyKindOfThreadTheProgramStartsIsCancelledAndItsFinallyRuns() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "--grace", "5s", "-cp", cp(OwnThreadsProgram.class),
                OwnThreadsProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "platform finally ran", "virtual finally ran",
                "per-task finally ran", "completable finally ran", "stream finally ran", "main finally ran")
                .doesNotContain("returned", "did not stop");
    }

    @Test
    void sigtermCancelsTheProgramsOwnThreadsTooAndExitsWithTheTerminatedStatusAfterTheirCleanup() throws Exception {
        Process p = WeftRunProcess.start(dir, "--grace", "5s", "-cp", cp(OwnThreadsProgram.class),
                OwnThreadsProgram.class.getName());
        Path out = dir.resolve("output.txt");
        long boundNs = System.nanoTime() + WeftRunProcess.RUN_BOUND_SECONDS * 1_000_000_000L;
        while (!Files.readString(out).contains("started")) { // the program prints it once every thread spins
            assertThat(p.isAlive()).as(Files.readString(out)).isTrue();
            assertThat(System.nanoTime() - boundNs).as("never started: " + Files.readString(out)).isNegative();
            Thread.sleep(20); // polls the condition above (bounded); leaves the CPU to the program under test
        }
        p.destroy(); // SIGTERM to weft run, which passes it on to the program
        WeftRunProcess.Outcome o = WeftRunProcess.await(p, dir);
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TERMINATED.code());
        assertThat(o.output()).contains("platform finally ran", "virtual finally ran", "per-task finally ran",
                "completable finally ran", "main finally ran").doesNotContain("did not stop");
    }

    @Test
    void aProgramThatCatchesTheSoftLimitsCancellationAndReturnsStillEndsWithTheMemoryStatusAndTheReport()
            throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "32m", "-cp", cp(MemorySwallowingProgram.class),
                MemorySwallowingProgram.class.getName());
        // before, it exited 0 without a report, as if the watchdog had never blamed it (as --timeout exits 124 anyway)
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("caught Cancelled", "returned normally", "weft: memory limit: task 'main'"
                + " allocated the most while the live heap stayed above the soft limit",
                "The task's cleanup (its finally blocks) completed, with its grace.", "Weft exits with status 122");
    }

    @Test
    void theReportSaysTheCleanupCompletedOnlyWhenNoLaterCancellationCutItShort() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "32m", "-cp", cp(MemoryCleanupCutProgram.class),
                MemoryCleanupCutProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        // before, "The task's cleanup (its finally blocks) completed" of a finally cut short at its loop's check
        assertThat(o.output()).contains("cleanup started", "The task's cleanup did not complete: a cancellation point"
                + " inside it threw the memory cancellation again").doesNotContain("cleanup completed", "completed, with");
    }

    @Test
    void aCollectorTheWatchdogCannotUseIsRefusedNamingOnlyWhatSoftLimitAccepts() throws Exception {
        String[] args = {"--soft-limit", "32m", "-cp", cp(MemorySwallowingProgram.class),
            MemorySwallowingProgram.class.getName()};
        Process p = WeftRunProcess.start(dir, java.util.Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseZGC"), args);
        WeftRunProcess.Outcome o = WeftRunProcess.await(p, dir, args);
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        // before, the refusal advised -XX:+UseParallelGC or -XX:+UseSerialGC, which --soft-limit then refuses
        assertThat(o.output()).contains("--soft-limit needs G1; this JVM runs ZGC (-XX:+UseZGC)",
                "remove -XX:+UseZGC (G1 is the default)").doesNotContain("UseParallelGC", "UseSerialGC", "caught");
    }

    @Test
    void anOutOfMemoryErrorInAThreadTheProgramStartedEndsTheProgramWithTheMemoryStatusAndTheReport() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "32m", "--heap", "96m", "-cp", cp(ThreadOomProgram.class),
                ThreadOomProgram.class.getName());
        // on a plain JVM the thread dies with a raw trace, main's join returns and the program exits 0
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        // (main's join may return before the cancellation reaches it: the hog thread has ended by then)
        assertThat(o.output()).contains("Exception in thread \"hog\" java.lang.OutOfMemoryError", "main finally ran",
                "weft: memory limit:", "Weft exits with status 122");
        // the report names the thread and its own allocation counter, not the root task that rethrew its error
        assertThat(o.output()).contains("weft: memory limit: thread 'hog' (a platform thread the program started; it"
                + " allocated ", " MiB over its life) ran out of Java heap").doesNotContain("task 'main'");
    }

    @Test
    void aPlatformThreadThatFillsTheHeapIsBlamedByItsOwnCounterBeforeTheHeapRunsOut() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "32m", "--heap", "96m", "-cp", cp(ThreadHogProgram.class),
                ThreadHogProgram.class.getName());
        // before, the thread was only reported once an OutOfMemoryError had ended it (the real heap gone)
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("weft: memory limit: thread 'hog' (a platform thread the program started; it"
                + " allocated ", " by its own counter) allocated the most while the live heap stayed above the soft limit",
                "hog finally ran after", "main finally ran", " 0 OutOfMemoryError(s) contained",
                "Weft exits with status 122").doesNotContain("task 'main'", "Exception in thread");
    }

    @Test
    void aLoopThatSpendsNearlyAllItsChecksInsideAJdkMonitorIsCancelledAtItsFirstCheckOutside() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "500ms", "--grace", "3s", "-cp",
                cp(MostlyInsideMonitorProgram.class), MostlyInsideMonitorProgram.class.getName());
        // a back-off that counted checks between two stack walks skipped the one check per round outside the monitor
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "finally ran holding=false").doesNotContain("did not stop");
    }

    @Test
    void aVirtualThreadTheProgramStartsDoesNotHoldMainsLoop() throws Exception {
        WeftRunProcess.Outcome o = weftRun("-cp", cp(HeartbeatProgram.class), HeartbeatProgram.class.getName());
        assertThat(o.status()).as(o.output()).isZero();
        Matcher m = Pattern.compile("longest gap ms=(\\d+)").matcher(o.output());
        assertThat(m.find()).as(o.output()).isTrue();
        // main beats every 100 ms while the virtual thread computes for 1.5 s; sharing one carrier it would wait 1.5 s
        assertThat(Long.parseLong(m.group(1))).as(o.output()).isLessThan(1_000);
    }

    // the deadline leaves time for the JVM to start and reach the try block even on a loaded machine: a deadline
    // that fires during start-up cancels the program before its cleanup exists
    @Test
    void cleanupThatLoopsAndReadsAFileCompletesAfterABlockingWaitIsCancelled() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "2s", "-cp", cp(CleanupProgram.class),
                CleanupProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "closed 5", "read 3 lines").doesNotContain("read failed");
    }

    @Test
    void cleanupThatLoopsAndReadsAFileCompletesAfterACpuLoopIsCancelled() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "2s", "-cp", cp(CleanupProgram.class),
                CleanupProgram.class.getName(), "spin");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "closed 5", "read 3 lines").doesNotContain("read failed");
    }

    @Test
    void aCleanupThatFailsIsReportedAsFailedWithItsException() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "300ms", "-cp", cp(FailingCleanupProgram.class),
                FailingCleanupProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("cleanup could not flush the journal", "cleanup then failed")
                .doesNotContain("cleanup finished");
    }

    @Test
    void aCleanupThatNeverEndsIsCancelledHardWhenTheGraceIsOver() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "300ms", "--grace", "700ms", "-cp",
                cp(EndlessCleanupProgram.class), EndlessCleanupProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("cleanup started", "cleanup got Cancelled").doesNotContain("did not stop");
    }

    @Test
    void nonDaemonThreadsKeepTheProgramAliveAndThreadsInheritAsFromThePlainMainThread() throws Exception {
        WeftRunProcess.Outcome o = weftRun("-cp", cp(NonDaemonProgram.class), NonDaemonProgram.class.getName());
        assertThat(o.status()).as(o.output()).isZero();
        assertThat(o.output()).contains("worker daemon=false priority=5 group=main", "factory daemon=false",
                "chosen daemon=true", "main returns", "worker done");
    }

    @Test
    void aProgramThatCallsWeftRunItselfRunsUnderWeftRun() throws Exception {
        WeftRunProcess.Outcome o = weftRun("-cp", cp(NestedWeftProgram.class), NestedWeftProgram.class.getName());
        assertThat(o.status()).as(o.output()).isZero();
        assertThat(o.output()).contains("cleanup always runs", "page ab caught=true")
                .doesNotContain("called inside a Weft task");
    }

    @Test
    void aProgramThatCallsWeftRunItselfIsCancelledByTheLaunchersDeadline() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "500ms", "-cp", cp(NestedWeftProgram.class),
                NestedWeftProgram.class.getName(), "forever");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("page ab caught=true", "deadline passed");
    }
}
