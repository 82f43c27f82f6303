package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ObjectLayout#current()} in JVMs forked with every combination of the layout flags that JDK 25 runs:
 * the four modelled layouts are detected, also when ergonomics choose them (a 32 GiB heap turns compressed
 * oops off), and the rest are refused with a message naming the flag. Sizes on each layout are checked
 * against JOL in {@code processor/} ({@code StaticSizesMatchJvmTest}).
 */
class LayoutDetectionTest {
    private static final long FORK_TIMEOUT_S = 60;

    @TempDir
    Path temp;

    /** Runs in the forked JVM: prints {@code LAYOUT name} or {@code REFUSED message}. */
    public static final class Report {
        private Report() {}

        public static void main(String[] args) {
            try {
                System.out.println("LAYOUT " + ObjectLayout.current());
            } catch (UnsupportedOperationException e) {
                System.out.println("REFUSED " + e.getMessage());
            }
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "-XX:-UseCompactObjectHeaders                              | LAYOUT COMPRESSED_OOPS",
        "-XX:+UseCompactObjectHeaders                              | LAYOUT COMPACT_HEADERS",
        "-XX:-UseCompressedOops                                    | LAYOUT UNCOMPRESSED_OOPS",
        "-Xmx32g                                                   | LAYOUT UNCOMPRESSED_OOPS",
        "-XX:+UseCompactObjectHeaders -XX:-UseCompressedOops       | LAYOUT COMPACT_HEADERS_UNCOMPRESSED_OOPS",
        "-XX:+UseCompactObjectHeaders -Xmx32g                      | LAYOUT COMPACT_HEADERS_UNCOMPRESSED_OOPS",
        "-XX:-UseCompressedClassPointers                           | REFUSED -XX:-UseCompressedClassPointers; remove that flag",
        "-XX:-UseCompressedClassPointers -XX:-UseCompressedOops    | REFUSED -XX:-UseCompressedClassPointers; remove that flag",
        "-XX:+UseCompactObjectHeaders -XX:-UseCompressedClassPointers | REFUSED -XX:-UseCompressedClassPointers; remove that flag",
        "-XX:ObjectAlignmentInBytes=16                             | REFUSED -XX:ObjectAlignmentInBytes=16; remove that flag",
    })
    void everyLayoutFlagCombinationIsDetectedOrRefusedNamingTheFlag(String flags, String expected)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(Arrays.asList(flags.trim().split(" +")));
        // -Xshare:off: the CDS archive does not match some of these flags, and the JVM says so on stdout
        command.addAll(List.of("-Xshare:off", "-cp", System.getProperty("java.class.path"), Report.class.getName()));
        Path out = temp.resolve("out.txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!process.waitFor(FORK_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("JVM with " + flags + " did not finish in " + FORK_TIMEOUT_S + " s");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit status of the JVM with %s; output:%n%s", flags, text).isZero();
        List<String> reports = text.lines().filter(l -> l.startsWith("LAYOUT ") || l.startsWith("REFUSED ")).toList();
        assertThat(reports).as("output of the JVM with %s", flags).hasSize(1);
        String report = reports.getFirst();
        if (expected.startsWith("LAYOUT ")) {
            assertThat(report).isEqualTo(expected);
        } else {
            assertThat(report).startsWith("REFUSED ").contains(expected.substring("REFUSED ".length()));
        }
    }
}
