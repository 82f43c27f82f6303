package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Weft;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's example is the compiled one, runs as the README says, and prints what it says; the tour runs. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExamplesTest {
    private static final Path README = Path.of(System.getProperty("weft.readme", "../README.md"));
    private static final Path SOURCES = Path.of(System.getProperty("weft.examples.sources", "src/main/java"));

    /** The fenced block of {@code language} in the README that contains {@code marker}, or the one right after it. */
    private static String readmeBlock(String language, String marker, boolean after) throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int at = readme.indexOf(marker);
        assertTrue(at >= 0, "README.md has no '" + marker + "'; the examples test looks for it");
        String fence = "```" + language + "\n";
        int start = after ? readme.indexOf(fence, at) : readme.lastIndexOf(fence, at);
        assertTrue(start >= 0, "README.md has no ```" + language + " block " + (after ? "after" : "around") + " '"
                + marker + "'");
        int end = readme.indexOf("```", start + fence.length());
        return readme.substring(start + fence.length(), end);
    }

    @Test
    void theReadmeExampleIsTheCompiledOne() throws IOException {
        String inReadme = readmeBlock("java", "public class Crawl", false);
        String compiled = Files.readString(SOURCES.resolve("Crawl.java"), StandardCharsets.UTF_8);
        if (!inReadme.equals(compiled)) {
            List<String> a = inReadme.lines().toList();
            List<String> b = compiled.lines().toList();
            int line = 0;
            while (line < Math.min(a.size(), b.size()) && a.get(line).equals(b.get(line))) {
                line++;
            }
            fail("README.md's example and examples/src/main/java/Crawl.java differ at line " + (line + 1)
                    + ":\n  README:  " + (line < a.size() ? a.get(line) : "(end)")
                    + "\n  example: " + (line < b.size() ? b.get(line) : "(end)")
                    + "\nchange both: the README shows the file the build compiles and runs");
        }
    }

    @Test
    void theReadmeExampleRunsWithTheReadmesCommandAndPrintsWhatItSays() throws Exception {
        String expected = readmeBlock("text", "It prints", true);
        // java --add-opens java.base/java.lang=ALL-UNNAMED -cp weft-runtime-0.1.0.jar:. Crawl
        Result r = java(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", classPath(), "Crawl"));
        assertEquals(0, r.status, "exit status; stderr:\n" + r.err);
        assertEquals(expected, r.out, "what the README says the example prints");
        assertEquals("", r.err, "the example writes nothing to stderr");
    }

    @Test
    void theReadmeExampleRunsOnTheModulePathWithTheJpmsForm() throws Exception {
        String expected = readmeBlock("text", "It prints", true);
        String runtime = Arrays.stream(classPath().split(File.pathSeparator))
                .filter(e -> e.contains("weft-runtime") || e.replace('\\', '/').contains("runtime/target/classes"))
                .findFirst().orElseThrow(() -> new AssertionError("weft-runtime is not on the test class path"));
        // java --add-opens java.base/java.lang=dev.weft -p weft-runtime-0.1.0.jar --add-modules dev.weft -cp . Crawl
        Result r = java(List.of("--add-opens", "java.base/java.lang=dev.weft", "-p", runtime,
                "--add-modules", "dev.weft", "-cp", System.getProperty("weft.examples.classes"), "Crawl"));
        assertEquals(0, r.status, "exit status; stderr:\n" + r.err);
        assertEquals(expected, r.out);
    }

    @Test
    void withoutTheFlagTheProgramFailsAtStartupNamingIt() throws Exception {
        Result r = java(List.of("-cp", classPath(), "Crawl"));
        assertEquals(1, r.status);
        assertTrue(r.err.contains("--add-opens java.base/java.lang=ALL-UNNAMED"), r.err);
    }

    @Test
    void theTrioTourShowsEachConstruct() {
        List<String> lines = TrioTour.tour(Weft.options().handleSigint(false));
        assertEquals(List.of(
                "nursery: ab",
                "move_on_after: cancelled caught = true",
                "withTimeoutOrNull: (empty)",
                "fail_after: DeadlineExceededException",
                "shield: cleanup slept although its scope was cancelled",
                "start: listening on 8080",
                "start: served GET /",
                "event: the waiter woke",
                "CapacityLimiter: at most 2 at once",
                "receive with a timeout: (nothing)",
                "select: control stop",
                "supervise: handler got 'flaky failed'",
                "supervise: steady finished",
                "firstSuccess: mirror-b",
                "Blocking.call ran on a pool thread"), lines);
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }

    private record Result(int status, String out, String err) {}

    private static Result java(List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new AssertionError("cannot tell which java runs the tests"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(args);
        Path out = Files.createTempFile("weft-example", ".out");
        Path err = Files.createTempFile("weft-example", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the example did not finish within 60 s: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
