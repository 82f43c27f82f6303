package dev.weft.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every {@code {@snippet}} in the repository's Java sources, in every module, is an external snippet of a compiled
 * class: {@code {@snippet class=C region=R}} with no inline body, where {@code C} is a source under the module's
 * {@code src/test/java} (compiled by every build) that has the region {@code R}. Javadoc checks the same for the
 * packages it documents; this covers the rest too (internal packages, modules without Javadoc), so no example
 * in a comment can stop compiling unseen.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EverySnippetIsCompiledTest {
    /** The repository root: the runtime module's parent (Surefire runs in the module's folder). */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** A snippet tag on a comment line, not one quoted in {@code {@code ...}}. */
    private static final Pattern TAG = Pattern.compile("(?m)^\\s*(?:/\\*\\*|\\*).*?(?<!\\{@code )(\\{@snippet\\b)");
    private static final Pattern EXTERNAL = Pattern.compile("\\{@snippet class=([\\w.]+) region=([\\w-]+)}");

    @Test
    void everySnippetShowsARegionOfACompiledClass() throws IOException {
        assertThat(ROOT.resolve("runtime/src/main/java/module-info.java")).as("the repository root").exists();
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path f : javaSources()) {
            String text = Files.readString(f);
            Matcher tag = TAG.matcher(text);
            while (tag.find()) {
                int start = tag.start(1);
                int end = text.indexOf('}', start);
                String snippet = text.substring(start, end < 0 ? text.length() : end + 1);
                String where = ROOT.relativize(f) + ":" + line(text, start);
                Matcher m = EXTERNAL.matcher(snippet);
                if (!m.matches()) {
                    problems.add(where + ": '" + snippet.lines().findFirst().orElse("") + "' has an inline body; move"
                            + " the code to a class under the module's src/test/java between // @start region=NAME and"
                            + " // @end, and write {@snippet class=THAT.CLASS region=NAME}");
                    continue;
                }
                Path module = ROOT.resolve(ROOT.relativize(f).getName(0));
                String file = m.group(1).replace('.', '/') + ".java";
                Path source = Stream.of(module.resolve("src/test/java").resolve(file),
                                ROOT.resolve("processor/src/test/java").resolve(file))
                        .filter(Files::exists).findFirst().orElse(null);
                if (source == null) {
                    problems.add(where + ": class " + m.group(1) + " is not a test source of " + module.getFileName());
                } else if (!Pattern.compile("// @start region=\"?" + m.group(2) + "\"?(\\s|$)", Pattern.MULTILINE)
                        .matcher(Files.readString(source)).find()) {
                    problems.add(where + ": " + m.group(1) + " has no region " + m.group(2));
                } else {
                    checked.add(where);
                }
            }
        }
        assertThat(problems).as("snippets that are not compiled").isEmpty();
        assertThat(checked).as("snippets found (is the repository there?)").hasSizeGreaterThan(50);
    }

    private static List<Path> javaSources() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path m : modules.filter(p -> Files.isDirectory(p.resolve("src"))).sorted().toList()) {
                try (Stream<Path> s = Files.walk(m.resolve("src"))) {
                    s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
                }
            }
        }
        return out;
    }

    private static int line(String text, int offset) {
        return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
    }
}
