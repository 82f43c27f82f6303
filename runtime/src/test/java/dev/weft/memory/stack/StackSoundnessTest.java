package dev.weft.memory.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.stack.FrameModel;
import dev.weft.memory.StackBound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proof of soundness: for each fixture (a deep call chain, recursion with a declared depth, mutual recursion,
 * lambdas, an interface with several implementations, exceptions in flight, a depth-first walk that parks at every
 * leaf), the bound computed from the class files is never below the stack measured at any of its checkpoints,
 * interpreted ({@code -Xint}) and compiled by C2 ({@code -XX:-TieredCompilation -Xbatch} after warm-up), on a JDK
 * virtual thread and as a Weft task, in a forked JVM ({@link Child}) that reads the parked virtual thread's stack
 * chunks: the frames of the whole stack (the runtime's included) against {@link StackBound#frameBytes()}, the
 * task's own (the baseline's subtracted) against {@link StackBound#taskFrameBytes()}, and the chunks' heap (class
 * histogram, and chunk by chunk from their allocated words) against {@link StackBound#bytes()}. The ratios are
 * printed, not asserted (docs/benchmarks.md has them).
 */
class StackSoundnessTest {
    private static final Path TEST_CLASSES = Path.of("target/test-classes");
    private static final Map<String, StackBound> BOUNDS = new LinkedHashMap<>();

    /** One checkpoint's measurement. */
    record Checkpoint(String entry, int index, long usedWords, long baseWords, int chunks, long sizeWords,
            long heapBytes, long modelBytes) {
        long frameBytes() {
            return (usedWords - baseWords) * FrameModel.WORD_BYTES;
        }
    }

    @BeforeAll
    static void bounds() {
        StackBound.Analyser analyser = StackBound.analyser().classPath(List.of(TEST_CLASSES))
                .agentChecks(false) // the measuring JVM runs without the agent
                .declare(Probe.class.getName() + "#here", 0); // its frames are in the baseline too
        for (String e : Child.ENTRIES) {
            String entry = Fixtures.class.getName() + "#" + e;
            StackBound b = analyser.analyse(entry);
            assertThat(b.isBounded()).as("%s has a bound:%n%s", entry, b.report()).isTrue();
            BOUNDS.put(e, b);
        }
    }

    @Test
    void boundIsNeverBelowTheInterpretedStack() throws Exception {
        check("-Xint", List.of("-Xint"), null);
    }

    @Test
    void boundIsNeverBelowTheCompiledStack() throws Exception {
        check("C2", List.of("-XX:-TieredCompilation", "-Xbatch", "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=dontinline," + Probe.class.getName() + "::block"), "warm");
    }

    @Test
    void boundIsNeverBelowTheStackOfAWeftTask() throws Exception {
        check("Weft task, -Xint", List.of("-Xint"), "weft");
    }

    @Test
    void chunkModelCoversTheChunksHeapBytes() throws Exception {
        for (Checkpoint c : measure(List.of("-Xint"), null)) {
            assertThat(c.modelBytes()).as("chunk model for %s checkpoint %d (%d chunks, %d words allocated)", c.entry(),
                    c.index(), c.chunks(), c.sizeWords()).isGreaterThanOrEqualTo(c.heapBytes());
        }
    }

    private static void check(String mode, List<String> flags, String childMode) throws Exception {
        List<Checkpoint> cps = measure(flags, childMode);
        assertThat(cps.stream().map(Checkpoint::entry).distinct()).containsExactly(Child.ENTRIES);
        long base = cps.get(0).baseWords();
        assertThat(base).as("%s: the runtime's frames (a task that parks at its entry) within the calibrated constant",
                mode).isLessThanOrEqualTo(FrameModel.RUNTIME_FRAME_WORDS);
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%s: runtime's frames %d words%n", mode,
                base));
        table.append(String.format(Locale.ROOT, "%s: %-10s %4s %7s %7s %5s %7s %7s %5s %7s %7s %7s %6s %6s%n", mode,
                "entry", "cps", "task B", "meas B", "ratio", "stack B", "meas B", "ratio", "heap B", "hist B",
                "model B", "ratio", "chunks"));
        for (String e : Child.ENTRIES) {
            StackBound b = BOUNDS.get(e);
            long taskMax = 0;
            long stackMax = 0;
            long heapMax = 0;
            long modelMax = 0;
            int chunksMax = 0;
            int n = 0;
            for (Checkpoint c : cps) {
                if (!c.entry().equals(e)) {
                    continue;
                }
                n++;
                assertThat(b.taskFrameBytes()).as("%s (%s) checkpoint %d: task's bound %d B below the measured %d B%n%s",
                        e, mode, c.index(), b.taskFrameBytes(), c.frameBytes(), b.report())
                        .isGreaterThanOrEqualTo(c.frameBytes());
                long stack = c.usedWords() * FrameModel.WORD_BYTES;
                assertThat(b.frameBytes()).as("%s (%s) checkpoint %d: whole stack's bound %d B below the measured %d B",
                        e, mode, c.index(), b.frameBytes(), stack).isGreaterThanOrEqualTo(stack);
                assertThat(b.bytes()).as("%s (%s) checkpoint %d: chunk heap bound %d B below the measured %d B"
                        + " (histogram) / %d B (chunk by chunk) in %d chunks", e, mode, c.index(), b.bytes(),
                        c.heapBytes(), c.modelBytes(), c.chunks())
                        .isGreaterThanOrEqualTo(Math.max(c.heapBytes(), c.modelBytes()));
                assertThat((long) c.chunks()).as("%s (%s) checkpoint %d: chunks", e, mode, c.index())
                        .isLessThanOrEqualTo(b.chunksMax());
                taskMax = Math.max(taskMax, c.frameBytes());
                stackMax = Math.max(stackMax, stack);
                heapMax = Math.max(heapMax, c.heapBytes());
                modelMax = Math.max(modelMax, c.modelBytes());
                chunksMax = Math.max(chunksMax, c.chunks());
            }
            long heap = Math.max(heapMax, modelMax);
            table.append(String.format(Locale.ROOT,
                    "%s: %-10s %4d %7d %7d %5.2f %7d %7d %5.2f %7d %7d %7d %6.2f %3d/%d%n", mode, e, n,
                    b.taskFrameBytes(), taskMax, ratio(b.taskFrameBytes(), taskMax), b.frameBytes(), stackMax,
                    ratio(b.frameBytes(), stackMax), b.bytes(), heapMax, modelMax, ratio(b.bytes(), heap), chunksMax,
                    b.chunksMax()));
        }
        System.out.print(table);
    }

    private static double ratio(long bound, long measured) {
        return measured == 0 ? 0.0 : (double) bound / measured;
    }

    private static List<Checkpoint> measure(List<String> flags, String childMode)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-cp", TEST_CLASSES + java.io.File.pathSeparator
                        + "target/classes", Child.class.getName()));
        if (childMode != null) {
            cmd.add(childMode);
        }
        Path out = Files.createTempFile("stack-soundness", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean ended = p.waitFor(180, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(out);
            assertThat(ended).as("the measuring JVM ended within 180 s; its output:%n%s", lines).isTrue();
            assertThat(p.exitValue()).as("the measuring JVM's exit status; its output:%n%s", lines).isZero();
            assertThat(lines).as("the measuring JVM finished").contains("done");
            List<Checkpoint> cps = new ArrayList<>();
            for (String l : lines) {
                String[] f = l.split(" ");
                if (f[0].equals("cp") && !f[1].equals("baseline")) {
                    cps.add(new Checkpoint(f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                            Integer.parseInt(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8])));
                }
            }
            return cps;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
