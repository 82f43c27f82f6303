package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs after the two executions of a third-party library's own test suite, without and with the agent (see
 * agent/pom.xml: Commons Codec in every build, Commons Lang under {@code -Plang3-suite}): every test that passed
 * without the agent passed with it, and the agent really instrumented the library and its tests. Tests that fail
 * even without the agent are not compared; they are written to {@code SUITE-failing-without-agent.txt}.
 *
 * <p>System properties, set by the pom: {@code weft.target} (the build directory), {@code weft.suite} (the report
 * directories are {@code SUITE-plain-reports} and {@code SUITE-agent-reports}, the agent report
 * {@code SUITE-agent-report.txt}), {@code weft.suite.passing.min} (a floor on the baseline, so that a suite that did
 * not run cannot pass), {@code weft.suite.instrumented} (classes the agent report must list as instrumented) and
 * {@code weft.suite.package} (no class of it may be loaded unchanged).
 */
class ThirdPartySuiteComparisonCheck {
    private static final Path TARGET = Path.of(System.getProperty("weft.target", "target"));
    private static final String SUITE = required("weft.suite");
    private static final Pattern CASE = Pattern.compile(
            "<testcase name=\"([^\"]*)\" classname=\"([^\"]*)\"[^>]*?(/>|>([\\s\\S]*?)</testcase>)");

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set; run this check through"
                    + " agent/pom.xml (mvn verify -pl agent), which sets it");
        }
        return v;
    }

    /** Test ids in the reports, split by outcome. */
    private record Outcomes(Set<String> passed, Set<String> failed) {}

    private static Outcomes outcomes(Path reports) throws Exception {
        assertThat(reports).as("reports of the suite run (did the execution run?)").isDirectory();
        Set<String> passed = new TreeSet<>();
        Set<String> failed = new TreeSet<>();
        try (Stream<Path> files = Files.list(reports)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("TEST-")).toList()) {
                Matcher m = CASE.matcher(Files.readString(f));
                while (m.find()) {
                    String body = m.group(4) == null ? "" : m.group(4);
                    String id = m.group(2) + "#" + m.group(1);
                    if (body.contains("<failure") || body.contains("<error")) {
                        failed.add(id);
                    } else if (!body.contains("<skipped")) {
                        passed.add(id);
                    }
                }
            }
        }
        return new Outcomes(passed, failed);
    }

    @Test
    void everyTestThatPassesWithoutTheAgentPassesWithIt() throws Exception {
        Outcomes plain = outcomes(TARGET.resolve(SUITE + "-plain-reports"));
        Outcomes agent = outcomes(TARGET.resolve(SUITE + "-agent-reports"));
        Files.write(TARGET.resolve(SUITE + "-failing-without-agent.txt"), plain.failed());
        assertThat(plain.passed()).as("tests of " + SUITE + " that passed without the agent")
                .hasSizeGreaterThanOrEqualTo(Integer.parseInt(required("weft.suite.passing.min")));
        Set<String> lost = new TreeSet<>(plain.passed());
        lost.removeAll(agent.passed());
        assertThat(lost).as("tests of " + SUITE + " that pass without the agent but not with it").isEmpty();
    }

    @Test
    void theAgentInstrumentedTheLibraryAndItsTests() throws Exception {
        String report = Files.readString(TARGET.resolve(SUITE + "-agent-report.txt"));
        for (String c : List.of(required("weft.suite.instrumented").split(","))) {
            assertThat(report).contains("instrumented " + c.strip() + " ");
        }
        assertThat(report).doesNotContain("unchanged " + required("weft.suite.package") + ".");
    }
}
