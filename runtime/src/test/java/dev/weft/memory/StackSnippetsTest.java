package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The snippets of the stack bound's public types are compiled: each inline snippet equals its region in
 * {@link StackSnippets}, which the test compiler compiles.
 */
class StackSnippetsTest {
    private static final Path SNIPPETS = Path.of("src/test/java/dev/weft/memory/StackSnippets.java");
    private static final Pattern START =
            Pattern.compile("\\{@snippet class=dev\\.weft\\.memory\\.StackSnippets region=(\\w+) :");
    private static final List<Path> SOURCES = List.of(Path.of("src/main/java/dev/weft/memory/StackBound.java"),
            Path.of("src/main/java/dev/weft/memory/MaxDepth.java"));

    @Test
    void everyInlineSnippetEqualsItsCompiledRegion() throws IOException {
        Map<String, String> regions = regions(Files.readAllLines(SNIPPETS));
        List<String> checked = new ArrayList<>();
        for (Path f : SOURCES) {
            Map<String, String> inline = inlineSnippets(f);
            assertThat(inline).as("%s has a compiled snippet", f).isNotEmpty();
            for (Map.Entry<String, String> e : inline.entrySet()) {
                assertThat(regions).as("region '%s' used in %s", e.getKey(), f).containsKey(e.getKey());
                assertThat(e.getValue()).as("the snippet '%s' in %s differs from StackSnippets.java; copy it from"
                        + " there", e.getKey(), f).isEqualTo(regions.get(e.getKey()));
                checked.add(e.getKey());
            }
        }
        assertThat(checked).containsExactlyInAnyOrder("maxDepth", "stackBound", "frame", "site", "analyser");
    }

    private static Map<String, String> regions(List<String> lines) {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        List<String> body = new ArrayList<>();
        for (String l : lines) {
            Matcher m = Pattern.compile("// @start region=\"(\\w+)\"").matcher(l);
            if (m.find()) {
                name = m.group(1);
                body.clear();
            } else if (name != null && l.strip().equals("// @end")) {
                out.put(name, dedent(body));
                name = null;
            } else if (name != null) {
                body.add(l);
            }
        }
        return out;
    }

    private static Map<String, String> inlineSnippets(Path f) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = START.matcher(lines.get(i));
            if (!m.find()) {
                continue;
            }
            int depth = 1;
            List<String> body = new ArrayList<>();
            for (int j = i + 1; j < lines.size() && depth > 0; j++) {
                String l = lines.get(j).replaceFirst("^\\s*\\* ?", "");
                for (char c : l.toCharArray()) {
                    depth += c == '{' ? 1 : c == '}' ? -1 : 0;
                }
                if (depth > 0) {
                    body.add(l);
                }
            }
            out.put(m.group(1), dedent(body));
        }
        return out;
    }

    private static String dedent(List<String> lines) {
        int indent = Integer.MAX_VALUE;
        for (String l : lines) {
            if (!l.isBlank()) {
                indent = Math.min(indent, l.length() - l.stripLeading().length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
