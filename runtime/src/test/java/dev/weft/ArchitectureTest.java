package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Keeps the layering honest: a small exported API, and non-public JDK hooks in one package. */
class ArchitectureTest {
    private static final Path MAIN_SOURCES = Path.of("src/main/java");

    private static ModuleDescriptor descriptor() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    /** The packages exported to everyone: the API. */
    private static Set<String> apiPackages() throws IOException {
        return descriptor().exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet());
    }

    @Test
    void moduleExportsOnlyTheApiPackages() throws IOException {
        Set<String> exported = apiPackages();
        assertThat(exported).allMatch(p -> !p.contains(".internal"));
        assertThat(exported).contains("dev.weft");
    }

    @Test
    void internalPackagesAreExportedOnlyToTheCommandLine() throws IOException {
        List<ModuleDescriptor.Exports> qualified = descriptor().exports().stream()
                .filter(ModuleDescriptor.Exports::isQualified).toList();
        assertThat(qualified).allSatisfy(e -> {
            assertThat(e.source()).startsWith("dev.weft.internal.");
            assertThat(e.targets()).containsExactly("dev.weft.cli");
        });
    }

    @Test
    void publicApiNeverMentionsAnUnexportedType() throws Exception {
        Set<String> exported = apiPackages();
        List<String> violations = new ArrayList<>();
        for (String pkg : exported) {
            for (Class<?> c : classesIn(pkg)) {
                if (!Modifier.isPublic(c.getModifiers())) {
                    continue;
                }
                for (Method m : c.getDeclaredMethods()) {
                    if (!Modifier.isPublic(m.getModifiers()) && !Modifier.isProtected(m.getModifiers())) {
                        continue;
                    }
                    List<Type> types = new ArrayList<>(List.of(m.getGenericParameterTypes()));
                    types.add(m.getGenericReturnType());
                    for (Type t : types) {
                        checkType(t, exported, c.getName() + "." + m.getName(), violations);
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    private static void checkType(Type t, Set<String> exported, String where, List<String> out) {
        if (t instanceof ParameterizedType pt) {
            checkType(pt.getRawType(), exported, where, out);
            for (Type a : pt.getActualTypeArguments()) {
                checkType(a, exported, where, out);
            }
        } else if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (c.isPrimitive() || c.getPackageName().startsWith("java.")) {
                return;
            }
            if (!exported.contains(c.getPackageName())) {
                out.add(where + " uses " + c.getName());
            }
        }
    }

    private static List<Class<?>> classesIn(String pkg) throws Exception {
        Path dir = Path.of("target/classes").resolve(pkg.replace('.', '/'));
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$") && !name.equals("package-info.class")) {
                    out.add(Class.forName(pkg + "." + name.substring(0, name.length() - 6)));
                }
            }
        }
        return out;
    }

    @Test
    void onlyInternalJdkTouchesNonPublicJdkHooks() throws IOException {
        List<String> hooks = List.of("setAccessible(", "ThreadBuilders", "sun.misc.", "jdk.internal.",
                "privateLookupIn(", "java.lang.VirtualThread");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                boolean allowed = f.toString().replace('\\', '/').contains("dev/weft/internal/jdk/");
                if (allowed) {
                    continue;
                }
                // Code only: comments may explain the hooks they avoid.
                String src = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
                for (String h : hooks) {
                    if (src.contains(h)) {
                        violations.add(f + " mentions " + h);
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }
}
