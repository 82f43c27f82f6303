package dev.weft.bench.agent;

import dev.weft.agent.internal.AgentOptions;
import dev.weft.agent.internal.CheckpointCompiler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassTransform;
import java.lang.constant.ClassDesc;

/**
 * Loads {@link Kernels} and the commons-lang3 classes it uses in a fresh loader, either as they are ("plain") or
 * through the agent's compiler with the given options: the same bytes, the same kind of loader, the same call
 * path, so the difference is only the compiled checks. The kernel class is renamed out of {@code dev.weft}
 * (which the agent refuses to touch) in both variants.
 */
final class KernelLoader extends ClassLoader {
    static final String RENAMED = "weftbench.Kernels";

    private final CheckpointCompiler compiler; // null: plain

    private KernelLoader(CheckpointCompiler compiler) {
        super("kernels-" + (compiler == null ? "plain" : "instrumented"), KernelLoader.class.getClassLoader());
        this.compiler = compiler;
    }

    /** A kernel suite: {@code agentOptions == null} plain, else instrumented with those agent options. */
    static KernelSuite load(String agentOptions) {
        try {
            KernelLoader l = new KernelLoader(agentOptions == null ? null
                    : new CheckpointCompiler(AgentOptions.parse(agentOptions)));
            return (KernelSuite) l.loadClass(RENAMED).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        boolean mine = name.equals(RENAMED) || name.startsWith("org.apache.commons.lang3.")
                || name.startsWith("org.apache.commons.codec.");
        if (!mine) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c != null) {
                return c;
            }
            byte[] b = name.equals(RENAMED) ? renamedKernels() : read(name);
            if (compiler != null) {
                CheckpointCompiler.Result r = compiler.compile(b, this, true);
                if (r.bytes() != null) {
                    b = r.bytes();
                }
            }
            return defineClass(name, b, 0, b.length);
        }
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        if (name.equals(RENAMED.replace('.', '/') + ".class")) {
            return new java.io.ByteArrayInputStream(renamedKernels());
        }
        return super.getResourceAsStream(name);
    }

    private static byte[] renamedKernels() {
        byte[] original = read(Kernels.class.getName());
        ClassFile cf = ClassFile.of();
        // Kernels never names itself except as this_class (recursion goes through KernelSuite), so a new
        // this_class is the whole rename.
        return cf.transformClass(cf.parse(original), ClassDesc.of(RENAMED), ClassTransform.ACCEPT_ALL);
    }

    private static byte[] read(String className) {
        try (InputStream in = KernelLoader.class.getClassLoader().getResourceAsStream(className.replace('.', '/') + ".class")) {
            if (in == null) {
                throw new IllegalStateException("no class file for " + className);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
