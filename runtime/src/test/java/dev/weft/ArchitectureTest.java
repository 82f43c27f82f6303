package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.NameAndTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the layering honest: a small exported API, non-public JDK hooks in one package, and no package cycles
 * (the layers are listed in docs/design.md, "Layers").
 */
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
            if (e.source().equals("dev.weft.internal.event")) {
                // the JFR events: the server records its admission refusals as Weft events too
                assertThat(e.targets()).containsExactlyInAnyOrder("dev.weft.cli", "dev.weft.http");
            } else {
                assertThat(e.targets()).containsExactly("dev.weft.cli");
            }
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

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> graph = packageGraph(Path.of("target/classes"));
        assertThat(graph).as("compiled classes under target/classes/dev/weft").isNotEmpty();
        List<List<String>> cycles = cycles(graph);
        List<String> report = new ArrayList<>();
        for (List<String> cycle : cycles) {
            StringBuilder sb = new StringBuilder(String.join(" <-> ", cycle)).append(':');
            for (String from : cycle) {
                for (String to : graph.get(from)) {
                    if (cycle.contains(to)) {
                        sb.append("\n    ").append(from).append(" -> ").append(to);
                    }
                }
            }
            report.add(sb.toString());
        }
        assertThat(report).as("package cycles among dev.weft packages (break them as docs/design.md, \"Layers\","
                + " says: a lower layer never names a higher one)").isEmpty();
    }

    /**
     * The dependencies between dev.weft packages, read from the compiled classes: every class a class file
     * names (its constant pool's class entries, and the types in the descriptors of its members and of the
     * members it uses). Edges inside one package are left out.
     */
    static Map<String, Set<String>> packageGraph(Path classes) throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes.resolve("dev/weft"))) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        for (Path f : files) {
            ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
            String from = cm.thisClass().asSymbol().packageName();
            Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
            List<ClassDesc> named = new ArrayList<>();
            for (PoolEntry e : cm.constantPool()) {
                switch (e) {
                    case ClassEntry c -> named.add(c.asSymbol());
                    case NameAndTypeEntry nt -> addDescriptor(nt.type().stringValue(), named);
                    case MethodTypeEntry mt -> named.addAll(descriptorTypes(mt.asSymbol()));
                    default -> { }
                }
            }
            for (FieldModel fm : cm.fields()) {
                named.add(fm.fieldTypeSymbol());
            }
            for (MethodModel mm : cm.methods()) {
                named.addAll(descriptorTypes(mm.methodTypeSymbol()));
            }
            for (ClassDesc d : named) {
                while (d.isArray()) {
                    d = d.componentType();
                }
                if (d.isClassOrInterface() && d.packageName().startsWith("dev.weft") && !d.packageName().equals(from)) {
                    to.add(d.packageName());
                }
            }
        }
        return graph;
    }

    private static void addDescriptor(String descriptor, List<ClassDesc> out) {
        if (descriptor.startsWith("(")) {
            out.addAll(descriptorTypes(MethodTypeDesc.ofDescriptor(descriptor)));
        } else {
            out.add(ClassDesc.ofDescriptor(descriptor));
        }
    }

    private static List<ClassDesc> descriptorTypes(MethodTypeDesc m) {
        List<ClassDesc> out = new ArrayList<>(m.parameterList());
        out.add(m.returnType());
        return out;
    }

    /** The strongly connected components of more than one package (Tarjan), each sorted; in a stable order. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        var tarjan = new Object() {
            final Map<String, Integer> index = new HashMap<>();
            final Map<String, Integer> low = new HashMap<>();
            final List<String> stack = new ArrayList<>();
            final Set<String> onStack = new java.util.HashSet<>();
            final List<List<String>> components = new ArrayList<>();

            void visit(String v) {
                index.put(v, index.size());
                low.put(v, index.get(v));
                stack.add(v);
                onStack.add(v);
                for (String w : graph.getOrDefault(v, Set.of())) {
                    if (!index.containsKey(w)) {
                        visit(w);
                        low.put(v, Math.min(low.get(v), low.get(w)));
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                }
                if (low.get(v).equals(index.get(v))) {
                    List<String> c = new ArrayList<>();
                    String w;
                    do {
                        w = stack.removeLast();
                        onStack.remove(w);
                        c.add(w);
                    } while (!w.equals(v));
                    if (c.size() > 1) {
                        c.sort(null);
                        components.add(c);
                    }
                }
            }
        };
        for (String v : graph.keySet()) {
            if (!tarjan.index.containsKey(v)) {
                tarjan.visit(v);
            }
        }
        tarjan.components.sort((a, b) -> a.getFirst().compareTo(b.getFirst()));
        return tarjan.components;
    }
}
