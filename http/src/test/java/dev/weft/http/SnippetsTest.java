package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Javadoc snippet of this module is compiled: each is an external snippet ({@code {@snippet class=...
 * region=...}}, no inline body) showing a region of {@link Snippets}, which the test compiler compiles and Javadoc
 * reads, so an example that stops compiling fails the build; and every public type has one.
 */
class SnippetsTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Path SNIPPETS = Path.of("src/test/java/dev/weft/http/Snippets.java");
    private static final Pattern EXTERNAL = Pattern.compile("\\{@snippet class=dev\\.weft\\.http\\.Snippets region=(\\w+)}");
    private static final Pattern ANY = Pattern.compile("\\{@snippet\\b[^}]*");

    @Test
    void everySnippetIsARegionOfTheCompiledSnippets() throws IOException {
        Set<String> regions = regions(Files.readAllLines(SNIPPETS));
        List<String> checked = new ArrayList<>();
        for (Path f : sources()) {
            Matcher any = ANY.matcher(Files.readString(f));
            while (any.find()) {
                Matcher m = EXTERNAL.matcher(any.group() + "}");
                assertThat(m.matches()).as("%s: '%s' is not an external snippet of Snippets.java; move its code there"
                        + " between // @start region=\"name\" and // @end and write {@snippet class=dev.weft.http.Snippets"
                        + " region=name}", f, any.group()).isTrue();
                assertThat(regions).as("region '%s' used in %s", m.group(1), f).contains(m.group(1));
                checked.add(m.group(1));
            }
        }
        assertThat(checked).hasSizeGreaterThanOrEqualTo(9);
    }

    @Test
    void everyPublicTypeHasACompiledSnippet() throws IOException {
        for (Path f : sources()) {
            String text = Files.readString(f);
            if (f.toString().contains("/internal/") || f.endsWith("module-info.java")
                    || !Pattern.compile("(?m)^public ").matcher(text).find()) {
                continue;
            }
            assertThat(EXTERNAL.matcher(text).find()).as("%s: a public type without a compiled snippet", f).isTrue();
        }
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.walk(MAIN)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** the names of the regions in {@code lines}. */
    private static Set<String> regions(List<String> lines) {
        Set<String> out = new LinkedHashSet<>();
        Pattern start = Pattern.compile("// @start region=\"(\\w+)\"");
        for (String l : lines) {
            Matcher m = start.matcher(l);
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
