package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module's layers, read from the compiled classes' constant pools: {@code example.http} uses the public API
 * only; the API uses the machinery; the machinery ({@code dev.weft.http.internal}) names no API type, so there
 * is no package cycle.
 */
class LayeringTest {
    private static final Path CLASSES = Path.of("target/classes");

    private static List<String> references(String fromPackage) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(CLASSES.resolve(fromPackage))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".class") && f.getParent()
                    .equals(CLASSES.resolve(fromPackage))).toList()) {
                ClassModel m = ClassFile.of().parse(p);
                for (PoolEntry e : m.constantPool()) {
                    if (e instanceof ClassEntry c) {
                        out.add(m.thisClass().asInternalName() + " -> " + c.asInternalName());
                    }
                }
            }
        }
        return out;
    }

    private static TreeSet<String> into(List<String> refs, String packagePrefix) {
        TreeSet<String> bad = new TreeSet<>();
        for (String r : refs) {
            String target = r.substring(r.indexOf(" -> ") + 4);
            if (target.startsWith(packagePrefix) && target.indexOf('/', packagePrefix.length()) < 0) {
                bad.add(r);
            }
        }
        return bad;
    }

    @Test
    void theMachineryNamesNoApiType() throws IOException {
        assertThat(into(references("dev/weft/http/internal"), "dev/weft/http/")).isEmpty();
    }

    @Test
    void theExamplesUseThePublicApiOnly() throws IOException {
        List<String> refs = references("example/http");
        assertThat(into(refs, "dev/weft/http/internal/")).isEmpty();
        assertThat(refs.stream().filter(r -> r.contains("Impl")).toList()).isEmpty();
    }

    @Test
    void theLoadGeneratorIsAPlainClientThatNamesNothingOfTheServerOrTheRuntime() throws IOException {
        List<String> refs = references("dev/weft/http/internal/load");
        assertThat(refs).isNotEmpty();
        assertThat(refs.stream().filter(r -> {
            String target = r.substring(r.indexOf(" -> ") + 4);
            return target.startsWith("dev/weft/") && !target.startsWith("dev/weft/http/internal/load/");
        }).toList()).isEmpty();
    }

    @Test
    void theDemoProgramUsesThePublicApiTheExamplesAndTheLoadGeneratorOnly() throws IOException {
        List<String> refs = references("dev/weft/http/internal/demo");
        assertThat(into(refs, "dev/weft/http/internal/")).isEmpty();
        assertThat(refs.stream().filter(r -> r.contains("Impl")).toList()).isEmpty();
    }
}
