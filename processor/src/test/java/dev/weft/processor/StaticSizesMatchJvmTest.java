package dev.weft.processor;

import dev.weft.processor.probe.LayoutProbe;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The compile-time sizes of the fixtures, the size helpers and the estimator agree exactly with JOL and
 * {@code Instrumentation.getObjectSize} in JVMs forked with each layout's flags (one JVM per layout checks all).
 */
class StaticSizesMatchJvmTest {
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
        List<String> lines = ProbeJvm.run(temp, flags, "", LayoutProbe.class.getName());
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
}
