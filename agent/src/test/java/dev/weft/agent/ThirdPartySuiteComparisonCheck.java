package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs after the two executions of Commons Lang's suite (without and with the agent, see agent/pom.xml): every
 * test that passed without the agent passed with it, and the agent really instrumented the library.
 */
class Lang3ComparisonCheck {
    private static final Path TARGET = Path.of(System.getProperty("weft.target", "target"));
    private static final Pattern CASE = Pattern.compile(
            "<testcase name=\"([^\"]*)\" classname=\"([^\"]*)\"[^>]*?(/>|>([\\s\\S]*?)</testcase>)");

    private static Set<String> passed(Path reports) throws Exception {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.list(reports)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("TEST-")).toList()) {
                Matcher m = CASE.matcher(Files.readString(f));
                while (m.find()) {
                    String body = m.group(4) == null ? "" : m.group(4);
                    if (!body.contains("<failure") && !body.contains("<error") && !body.contains("<skipped")) {
                        out.add(m.group(2) + "#" + m.group(1));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyTestThatPassesWithoutTheAgentPassesWithIt() throws Exception {
        Set<String> plain = passed(TARGET.resolve("lang3-plain-reports"));
        Set<String> agent = passed(TARGET.resolve("lang3-agent-reports"));
        assertThat(plain).as("the baseline ran Commons Lang's suite").hasSizeGreaterThan(1_000);
        Set<String> lost = new TreeSet<>(plain);
        lost.removeAll(agent);
        assertThat(lost).as("tests that pass without the agent but not with it").isEmpty();
    }

    @Test
    void theAgentInstrumentedTheLibraryAndItsTests() throws Exception {
        String report = Files.readString(TARGET.resolve("lang3-agent-report.txt"));
        assertThat(report).contains("instrumented org.apache.commons.lang3.StringUtils ")
                .contains("instrumented org.apache.commons.lang3.StringUtilsTest");
        assertThat(report).doesNotContain("unchanged org.apache.commons.lang3.");
    }
}
