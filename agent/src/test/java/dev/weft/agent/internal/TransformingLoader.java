package dev.weft.agent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Loads the named classes from the test class path through the compiler, everything else from the parent. */
final class TransformingLoader extends ClassLoader {
    private final CheckpointCompiler compiler;
    private final Set<String> names;
    final Map<String, CheckpointCompiler.Result> results = new ConcurrentHashMap<>();

    TransformingLoader(CheckpointCompiler compiler, Set<String> names) {
        super("transforming", TransformingLoader.class.getClassLoader());
        this.compiler = compiler;
        this.names = names;
    }

    /** Calls the public static method {@code method} of {@code c}; rethrows what it throws, unwrapped. */
    static Object call(Class<?> c, String method, Object... args) throws Throwable {
        Method m = Arrays.stream(c.getMethods()).filter(x -> x.getName().equals(method)).findFirst().orElseThrow();
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static byte[] bytesOf(String className) {
        try (InputStream in = TransformingLoader.class.getClassLoader()
                .getResourceAsStream(className.replace('.', '/') + ".class")) {
            if (in == null) {
                throw new IllegalArgumentException("no class file for " + className);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!names.contains(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] original = bytesOf(name);
                CheckpointCompiler.Result r = compiler.compile(original, this, true);
                results.put(name, r);
                byte[] b = r.bytes() != null ? r.bytes() : original;
                c = defineClass(name, b, 0, b.length);
            }
            return c;
        }
    }
}
