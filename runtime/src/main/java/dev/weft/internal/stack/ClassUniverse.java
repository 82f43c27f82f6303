package dev.weft.internal.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.reflect.AccessFlag;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The closed world the stack analysis resolves calls in: the classes of some modules of the running JDK's image
 * ({@code java.base} by default) and of a class path (directories and jars), indexed by name with its superclass
 * and interfaces, so that class-hierarchy analysis can list every subtype of a type. The JDK comes first (as under
 * the JVM's delegation), then the class path in order; the first class of a name wins. A class of a JDK module
 * left out is reported as missing, naming its module ({@link #missingModule}).
 *
 * <p>Only headers are read while indexing; a class's methods are read when the analysis first reaches it
 * ({@link #bytes}). The JDK's part is indexed once per process (the image does not change) and shared.
 *
 * <h2>Limits</h2>
 * At most {@code classesMax} classes from the class path; past it the constructor throws naming the count and
 * the option to raise.
 *
 * <h2>Thread safety</h2>
 * Confined to one analysis (one thread); the shared JDK index is immutable once built.
 */
public final class ClassUniverse implements AutoCloseable {

    /** One class: its header and where its bytes are. */
    record ClassInfo(String name, String superName, List<String> interfaces, boolean isInterface,
            boolean isAbstract, Path file, ZipFile jar, String entry) {}

    private static volatile Map<String, ClassInfo> jdkIndex;

    private final Map<String, ClassInfo> classes;
    private final Map<String, List<String>> directSubtypes = new HashMap<>();
    private final List<ZipFile> jars = new ArrayList<>();
    private final int classPathClasses;
    private final java.util.Set<String> jdkModules;

    /**
     * Indexes the JDK image and {@code classPath}.
     *
     * @throws IllegalArgumentException if an entry does not exist, or past {@code classesMax} classes
     * @throws UncheckedIOException     if a jar or class file cannot be read
     */
    public ClassUniverse(List<Path> classPath, java.util.Set<String> jdkModules, int classesMax) {
        Map<String, ClassInfo> all = new HashMap<>(1 << 14);
        for (ClassInfo c : jdk().values()) {
            if (jdkModules.contains(module(c))) {
                all.put(c.name(), c);
            }
        }
        this.jdkModules = java.util.Set.copyOf(jdkModules);
        int added = 0;
        try {
            for (Path entry : classPath) {
                if (Files.isDirectory(entry)) {
                    try (Stream<Path> files = Files.walk(entry)) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            String n = f.getFileName().toString();
                            if (!n.endsWith(".class") || n.equals("module-info.class") || n.equals("package-info.class")) {
                                continue;
                            }
                            added = add(all, header(Files.readAllBytes(f), f, null, null), added, classesMax);
                        }
                    }
                } else if (Files.isRegularFile(entry)) {
                    ZipFile zip = new ZipFile(entry.toFile());
                    jars.add(zip);
                    for (ZipEntry e : Collections.list(zip.entries())) {
                        String n = e.getName();
                        if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("module-info.class")
                                || n.endsWith("package-info.class")) {
                            continue;
                        }
                        byte[] b;
                        try (var in = zip.getInputStream(e)) {
                            b = in.readAllBytes();
                        }
                        added = add(all, header(b, null, zip, n), added, classesMax);
                    }
                } else {
                    throw new IllegalArgumentException("class path entry '" + entry + "' is neither a directory nor a"
                            + " jar; check the -cp argument");
                }
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot read the class path: " + e.getMessage(), e);
        }
        this.classes = all;
        this.classPathClasses = added;
        for (ClassInfo c : all.values()) {
            if (c.superName() != null) {
                directSubtypes.computeIfAbsent(c.superName(), k -> new ArrayList<>()).add(c.name());
            }
            for (String i : c.interfaces()) {
                directSubtypes.computeIfAbsent(i, k -> new ArrayList<>()).add(c.name());
            }
        }
    }

    private static int add(Map<String, ClassInfo> all, ClassInfo c, int added, int classesMax) {
        if (all.putIfAbsent(c.name(), c) != null) {
            return added; // the JDK's, or an earlier class path entry's, wins
        }
        if (added + 1 > classesMax) {
            throw new IllegalArgumentException("the class path has more than " + classesMax + " classes, the most"
                    + " one stack analysis indexes; raise StackBound.Analyser.classesMax or analyse a smaller class path");
        }
        return added + 1;
    }

    private static ClassInfo header(byte[] b, Path file, ZipFile jar, String entry) {
        ClassModel m = ClassFile.of().parse(b);
        List<String> interfaces = new ArrayList<>(m.interfaces().size());
        for (ClassEntry i : m.interfaces()) {
            interfaces.add(i.asInternalName());
        }
        return new ClassInfo(m.thisClass().asInternalName(), m.superclass().map(ClassEntry::asInternalName).orElse(null),
                List.copyOf(interfaces), m.flags().has(AccessFlag.INTERFACE), m.flags().has(AccessFlag.ABSTRACT), file,
                jar, entry);
    }

    /** The running JDK's classes, indexed once per process from its image ({@code jrt:/}). */
    private static Map<String, ClassInfo> jdk() {
        Map<String, ClassInfo> index = jdkIndex;
        if (index != null) {
            return index;
        }
        synchronized (ClassUniverse.class) {
            if (jdkIndex == null) {
                Map<String, ClassInfo> m = new HashMap<>(1 << 15);
                FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
                try (Stream<Path> files = Files.walk(jrt.getPath("/modules"))) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        String n = f.getFileName() == null ? "" : f.getFileName().toString();
                        if (!n.endsWith(".class") || n.equals("module-info.class") || n.equals("package-info.class")) {
                            continue;
                        }
                        ClassInfo c = header(Files.readAllBytes(f), f, null, null);
                        m.putIfAbsent(c.name(), c);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the JDK image (jrt:/modules): " + e.getMessage(), e);
                }
                jdkIndex = Map.copyOf(m);
            }
            return jdkIndex;
        }
    }

    /** The JDK module {@code c} comes from, or null for a class path class. */
    private static String module(ClassInfo c) {
        if (c.file() == null || !c.file().getFileSystem().provider().getScheme().equals("jrt")) {
            return null;
        }
        return c.file().getName(1).toString(); // /modules/<module>/...
    }

    /** Whether {@code c} is one of the JDK's classes. */
    boolean isJdk(ClassInfo c) {
        return module(c) != null;
    }

    /** The JDK modules in the universe. */
    java.util.Set<String> jdkModules() {
        return jdkModules;
    }

    /** The JDK module that has {@code internalName} but was left out of the universe, or null. */
    String missingModule(String internalName) {
        ClassInfo c = jdk().get(internalName);
        return c == null || classes.containsKey(internalName) ? null : module(c);
    }

    /** The class called {@code internalName}, or null if neither the JDK nor the class path has it. */
    ClassInfo info(String internalName) {
        return classes.get(internalName);
    }

    /** The direct subclasses and subinterfaces (and implementing classes) of {@code internalName}. */
    List<String> directSubtypes(String internalName) {
        return directSubtypes.getOrDefault(internalName, List.of());
    }

    /** The class file of {@code c}. */
    byte[] bytes(ClassInfo c) {
        try {
            if (c.jar() != null) {
                try (var in = c.jar().getInputStream(c.jar().getEntry(c.entry()))) {
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(c.file());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class " + c.name() + ": " + e.getMessage(), e);
        }
    }

    /** Every class in the universe (the JDK modules chosen and the class path). */
    java.util.Collection<String> classNames() {
        return classes.keySet();
    }

    /** How many classes came from the class path (not the JDK). */
    public int classPathClasses() {
        return classPathClasses;
    }

    /** Every class of the class path, not the JDK's (for analysing every method of a library). */
    public List<String> classPathClassNames() {
        List<String> out = new ArrayList<>();
        for (ClassInfo c : classes.values()) {
            if (module(c) == null) {
                out.add(c.name());
            }
        }
        Collections.sort(out);
        return out;
    }

    @Override
    public void close() {
        for (ZipFile z : jars) {
            try {
                z.close();
            } catch (IOException ignored) {
                // closing a jar we only read
            }
        }
        jars.clear();
    }
}
