package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.processor.probe.LayoutProbe;
import dev.weft.processor.probe.ProbeAgent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The compile-time sizes of the fixtures, the size helpers and the estimator agree exactly with JOL and
 * {@code Instrumentation.getObjectSize} in JVMs forked with each layout's flags (one JVM per layout checks all).
 */
class StaticSizesMatchJvmTest {
    private static final long PROBE_TIMEOUT_S = 120;

    @TempDir
    static Path temp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "COMPRESSED_OOPS,                   -XX:-UseCompactObjectHeaders",
        "COMPACT_HEADERS,                   -XX:+UseCompactObjectHeaders",
        "UNCOMPRESSED_OOPS,                 -XX:-UseCompressedOops",
        "COMPACT_HEADERS_UNCOMPRESSED_OOPS, -XX:+UseCompactObjectHeaders -XX:-UseCompressedOops",
    })
    void generatedSizesHelpersAndEstimatorMatchJolAndInstrumentation(String layout, String flags) throws Exception {
        List<String> lines = runProbe(flags);
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(lines).as("layout detected").contains("LAYOUT " + layout);
        int cases = 0;
        int graphs = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "CASE" -> {
                    cases++;
                    String name = f[1];
                    softly.assertThat(f[4]).as("%s JOL shallow vs generated", name).isEqualTo(f[2]);
                    softly.assertThat(f[6]).as("%s Instrumentation shallow vs generated", name).isEqualTo(f[2]);
                    softly.assertThat(f[5]).as("%s JOL GraphLayout deep vs generated", name).isEqualTo(f[3]);
                    softly.assertThat(f[7]).as("%s Instrumentation walk deep vs generated", name).isEqualTo(f[3]);
                    softly.assertThat(f[8]).as("%s estimator deep vs generated", name).isEqualTo(f[3]);
                    softly.assertThat(f[9]).as("%s reflective shallow vs generated", name).isEqualTo(f[2]);
                }
                case "GRAPH" -> {
                    graphs++;
                    softly.assertThat(f[4]).as("%s estimate vs JOL GraphLayout", f[1]).isEqualTo(f[2]);
                    softly.assertThat(f[4]).as("%s estimate vs Instrumentation walk", f[1]).isEqualTo(f[3]);
                    softly.assertThat(f[5]).as("%s estimate complete (packages opened)", f[1]).isEqualTo("true");
                }
                case "HELPER" -> {
                    softly.assertThat(f[2]).as("%s helper vs Instrumentation", f[1]).isEqualTo(f[3]);
                    softly.assertThat(f[2]).as("%s helper vs JOL", f[1]).isEqualTo(f[4]);
                }
                default -> { }
            }
        }
        softly.assertThat(cases).as("fixtures and held-out classes checked").isGreaterThanOrEqualTo(90);
        softly.assertThat(graphs).as("graphs checked").isGreaterThanOrEqualTo(10);
        softly.assertAll();
    }

    private static List<String> runProbe(String layoutFlags) throws IOException, InterruptedException {
        Path agent = temp.resolve("probe-agent.jar");
        if (!Files.exists(agent)) {
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().putValue("Premain-Class", ProbeAgent.class.getName());
            try (OutputStream out = Files.newOutputStream(agent); JarOutputStream jar = new JarOutputStream(out, manifest)) {
                jar.flush();
            }
        }
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot find the java binary of this JVM"));
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(layoutFlags.split(" +")));
        command.addAll(List.of("-Xmx512m", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-javaagent:" + agent, "-Djol.magicFieldOffset=true",
                "-Djdk.attach.allowAttachSelf=true", "-XX:+EnableDynamicAgentLoading",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/java.lang.foreign=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.foreign=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LayoutProbe.class.getName()));
        Path output = temp.resolve("probe" + layoutFlags.replaceAll("\\W", "_") + ".txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(PROBE_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("probe JVM with " + layoutFlags + " did not finish in " + PROBE_TIMEOUT_S + " s");
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("probe JVM with %s exited; output:%n%s", layoutFlags, text).isZero();
        return text.lines().toList();
    }
}
